import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  BACKUP_SNAPSHOTS_GET_SUBJECT,
  BACKUP_SNAPSHOTS_LIST_SUBJECT,
  type AppSnapshot,
  type RpcReply,
  type SnapshotsGetRequest,
  type SnapshotsListRequest,
} from '@fedops/contracts';
import { FedopsError, type FieldError } from '@fedops/domain';
import { JsonLogger, rpcReply } from '@fedops/service-kit';
import { SnapshotService } from './snapshot.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SNAPSHOT_ID = /^[0-9a-f]{64}$/;

/** tenant-api asks for a tenant's snapshots over NATS request/reply (it has checked who may see them). */
@Controller()
export class SnapshotsController {
  private readonly log;

  constructor(
    private readonly snapshots: SnapshotService,
    logger: JsonLogger,
  ) {
    this.log = logger.child('snapshots-rpc');
  }

  @MessagePattern(BACKUP_SNAPSHOTS_LIST_SUBJECT)
  list(@Payload() body: unknown): Promise<RpcReply<AppSnapshot[]>> {
    return rpcReply('backup service', this.log, 'list the snapshots', () => {
      const request = parseListRequest(body);
      return this.snapshots.list(request.tenantId, request.refresh === true);
    });
  }

  @MessagePattern(BACKUP_SNAPSHOTS_GET_SUBJECT)
  get(@Payload() body: unknown): Promise<RpcReply<AppSnapshot[]>> {
    return rpcReply('backup service', this.log, 'read the snapshots', () => {
      const request = parseGetRequest(body);
      return this.snapshots.get(request.tenantId, request.ids);
    });
  }
}

function record(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
}

function tenantIdErrors(tenantId: unknown): FieldError[] {
  return typeof tenantId === 'string' && UUID.test(tenantId)
    ? []
    : [{ field: 'tenantId', message: 'must be a tenant id' }];
}

export function parseListRequest(body: unknown): SnapshotsListRequest {
  const { tenantId, refresh } = record(body);
  const errors = tenantIdErrors(tenantId);
  if (refresh !== undefined && typeof refresh !== 'boolean')
    errors.push({ field: 'refresh', message: 'must be a boolean' });
  if (errors.length > 0) throw FedopsError.validation(errors);
  return { tenantId: tenantId as string, ...(refresh === true ? { refresh } : {}) };
}

export function parseGetRequest(body: unknown): SnapshotsGetRequest {
  const { tenantId, ids } = record(body);
  const errors = tenantIdErrors(tenantId);
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || !SNAPSHOT_ID.test(id)))
    errors.push({ field: 'ids', message: 'must be snapshot ids (64 hex digits)' });
  if (errors.length > 0) throw FedopsError.validation(errors);
  return { tenantId: tenantId as string, ids: ids as string[] };
}
