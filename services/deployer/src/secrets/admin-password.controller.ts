import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  ADMIN_PASSWORD_REVEAL_SUBJECT,
  type RevealAdminPasswordRequest,
  type RevealedAdminPassword,
  type RpcReply,
} from '@fedops/contracts';
import { FedopsError, type FieldError } from '@fedops/domain';
import { JsonLogger, rpcReply } from '@fedops/service-kit';
import { TenantSecretService } from './tenant-secret.service';

/**
 * tenant-api's one question to the deployer over NATS request/reply: an app's first admin password,
 * revealed once. The password is in the reply only: never in a log line or an event.
 */
@Controller()
export class AdminPasswordController {
  private readonly log;

  constructor(
    private readonly secrets: TenantSecretService,
    logger: JsonLogger,
  ) {
    this.log = logger.child('admin-password');
  }

  @MessagePattern(ADMIN_PASSWORD_REVEAL_SUBJECT)
  reveal(@Payload() body: unknown): Promise<RpcReply<RevealedAdminPassword>> {
    return rpcReply('deployer', this.log, "reveal an app's admin password", async () => {
      const request = parseRevealAdminPassword(body);
      const revealed = await this.secrets.revealAdminPassword(request.tenantId, request.app);
      this.log.info('admin password revealed', {
        tenantId: request.tenantId,
        app: request.app,
        revealedAt: revealed.revealedAt,
      });
      return revealed;
    });
  }
}

/** The request as sent, or a VALIDATION_FAILED naming each bad field. */
export function parseRevealAdminPassword(body: unknown): RevealAdminPasswordRequest {
  const raw = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const field of ['tenantId', 'app'] as const) {
    const value = raw[field];
    if (typeof value !== 'string' || value === '')
      errors.push({ field, message: 'is required (a non-empty string)' });
  }
  if (errors.length > 0) throw FedopsError.validation(errors);
  return { tenantId: raw['tenantId'] as string, app: raw['app'] as string };
}
