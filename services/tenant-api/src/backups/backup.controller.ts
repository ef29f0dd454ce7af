import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AppSnapshot, BackupPolicy } from '@fedops/contracts';
import { CurrentPrincipal, Roles, Scopes, type Principal } from '../auth';
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey, sendAnswer } from '../idempotency/idempotent-requests';
import {
  ApiAuthenticated,
  ApiJsonBody,
  ApiJsonResponse,
  ApiListQuery,
  ApiProblemResponses,
} from '../openapi/api-docs.decorators';
import { TENANT_ID_PARAM } from '../openapi/parameters';
import type { OperationView } from '../operations/operation.view';
import type { Page } from '../pagination/list-query';
import { parseBackupPolicy, parseBackupRequest, parseRestoreRequest } from './backup-requests';
import { SNAPSHOT_LIST_FILTERS, TenantBackupService } from './tenant-backup.service';

const POLICY_ETAG = {
  ETag: { description: 'The version of the tenant.', schema: { type: 'string' as const } },
};

const OPERATION_LOCATION = {
  Location: { description: "The operation's URL.", schema: { type: 'string' as const } },
};

@Controller('v1/tenants')
@Roles('ops', 'operator')
@ApiTags('backups')
@ApiAuthenticated('ops', 'operator')
export class BackupController {
  constructor(private readonly backups: TenantBackupService) {}

  @Get(':id/snapshots')
  @Scopes('tenants:read')
  @ApiOperation({
    operationId: 'listSnapshots',
    summary: "List a tenant's snapshots",
    description:
      "Newest first: one snapshot per app and backup, with the app's data paths and databases, its size and " +
      "what it added to the repository. From the backup service's record; `refresh=true` reads the " +
      'repository again first (slower).',
  })
  @ApiParam(TENANT_ID_PARAM)
  @ApiListQuery(SNAPSHOT_LIST_FILTERS)
  @ApiJsonResponse(200, 'SnapshotList', 'A page of snapshots, newest first.')
  @ApiProblemResponses(404, 502)
  listSnapshots(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<Page<AppSnapshot>> {
    return this.backups.listSnapshots(principal, id, query);
  }

  @Get(':id/backup-policy')
  @Scopes('tenants:read')
  @ApiOperation({
    operationId: 'getBackupPolicy',
    summary: "Get a tenant's backup policy",
    description:
      'How often its apps are backed up on their own (`intervalHours`, 0: never), what retention keeps of each ' +
      "app's snapshots (restic's keep rules; snapshots taken before a restore, an upgrade or a removal are " +
      'always kept), and how often the repository is checked.',
  })
  @ApiParam(TENANT_ID_PARAM)
  @ApiJsonResponse(200, 'BackupPolicy', 'The policy.', POLICY_ETAG)
  @ApiProblemResponses(404)
  async getPolicy(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<BackupPolicy> {
    const { policy, etag } = await this.backups.getPolicy(principal, id);
    res.setHeader('ETag', etag);
    return policy;
  }

  @Put(':id/backup-policy')
  @Scopes('tenants:write')
  @ApiOperation({
    operationId: 'setBackupPolicy',
    summary: "Set a tenant's backup policy",
    description:
      "Replaces the policy and moves the tenant's backup schedule to it (a Temporal Schedule, at an offset " +
      'of its own within the interval). A retention that keeps nothing is refused. Retention is applied after ' +
      'each scheduled backup.',
  })
  @ApiParam(TENANT_ID_PARAM)
  @ApiJsonBody('BackupPolicy')
  @ApiJsonResponse(200, 'BackupPolicy', 'The policy now in force.', POLICY_ETAG)
  @ApiProblemResponses(400, 404, 409)
  async setPolicy(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<BackupPolicy> {
    const { policy, etag } = await this.backups.setPolicy(principal, id, parseBackupPolicy(body));
    res.setHeader('ETag', etag);
    return policy;
  }

  @Post(':id/backups')
  @Scopes('tenants:write')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'backupTenant',
    summary: "Back up a tenant's apps now",
    description:
      "Starts a `backup` operation: restic runs on the tenant's machine and takes one snapshot per app that " +
      'holds data (its data paths and a dump of its databases, tagged with the tenant, app and reason ' +
      '`manual`). `apps` chooses some of the apps; every app by default. Only for a running tenant (`ready`) ' +
      'with no other operation on it.',
  })
  @ApiParam(TENANT_ID_PARAM)
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiJsonBody('BackupRequest')
  @ApiJsonResponse(202, 'OperationView', 'The backup operation started.', OPERATION_LOCATION)
  @ApiProblemResponses(400, 404, 409, 422)
  async backup(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
    @IdempotencyKey() key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OperationView> {
    return sendAnswer(res, await this.backups.startBackup(principal, id, parseBackupRequest(body), key));
  }

  @Post(':id/restores')
  @Scopes('tenants:write')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'restoreTenant',
    summary: 'Restore apps from snapshots',
    description:
      'Starts a `restore` operation of the snapshots named (at most one per app). `safe`: restored into a new ' +
      'location on the machine, verified, then swapped with the live data; needs room for a second copy. ' +
      '`in-place`: a `pre-restore` snapshot of the live data first (kept by retention), then the data ' +
      'restored where it is. Both check the free space first. The tenant is `restoring` meanwhile.',
  })
  @ApiParam(TENANT_ID_PARAM)
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiJsonBody('RestoreRequest')
  @ApiJsonResponse(202, 'OperationView', 'The restore operation started.', OPERATION_LOCATION)
  @ApiProblemResponses(400, 404, 409, 422, 502)
  async restore(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
    @IdempotencyKey() key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OperationView> {
    return sendAnswer(res, await this.backups.startRestore(principal, id, parseRestoreRequest(body), key));
  }
}
