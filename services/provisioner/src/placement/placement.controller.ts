import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import {
  PLACEMENT_CHOOSE_SUBJECT,
  type ChoosePlacementRequest,
  type MachinePlacement,
  type RpcReply,
} from '@fedops/contracts';
import { FedopsError, type FieldError } from '@fedops/domain';
import { JsonLogger, rpcReply } from '@fedops/service-kit';
import { ProviderRegistry } from '../providers/provider-registry.service';
import { choosePlacement } from './placement';

/** Placement over NATS request/reply: tenant-api asks before it starts a deploy, so no capacity means no workflow. */
@Controller()
export class PlacementController {
  private readonly log;

  constructor(
    private readonly registry: ProviderRegistry,
    logger: JsonLogger,
  ) {
    this.log = logger.child('placement');
  }

  @MessagePattern(PLACEMENT_CHOOSE_SUBJECT)
  choose(@Payload() body: unknown): Promise<RpcReply<MachinePlacement>> {
    return rpcReply('provisioner', this.log, 'choose a placement', async () => {
      const request = parseChoosePlacement(body);
      const choice = choosePlacement(
        await this.registry.placementCandidates(),
        request.plan,
        request.preference,
      );
      const placement: MachinePlacement = {
        machineId: randomUUID(),
        providerId: choice.providerId,
        providerName: choice.providerName,
        kind: choice.kind,
        location: choice.location,
        plan: choice.plan.name,
        reason: choice.reason,
      };
      this.log.info('placement chosen', { tenantId: request.tenantId, ...placement });
      return placement;
    });
  }
}

function parseChoosePlacement(body: unknown): ChoosePlacementRequest {
  const raw = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (typeof raw['tenantId'] !== 'string') errors.push({ field: 'tenantId', message: 'is required' });
  if (typeof raw['plan'] !== 'string') errors.push({ field: 'plan', message: 'is required' });
  const preference = raw['preference'];
  const pref = (typeof preference === 'object' && preference !== null ? preference : {}) as Record<
    string,
    unknown
  >;
  for (const key of ['provider', 'location'] as const) {
    if (pref[key] !== undefined && typeof pref[key] !== 'string') {
      errors.push({ field: `placement.${key}`, message: 'must be a string' });
    }
  }
  if (errors.length > 0) throw FedopsError.validation(errors);
  return {
    tenantId: raw['tenantId'] as string,
    plan: raw['plan'] as string,
    preference: {
      ...(typeof pref['provider'] === 'string' ? { provider: pref['provider'] } : {}),
      ...(typeof pref['location'] === 'string' ? { location: pref['location'] } : {}),
    },
  };
}
