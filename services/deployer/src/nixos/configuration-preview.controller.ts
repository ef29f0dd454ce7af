import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  CONFIGURATION_PREVIEW_SUBJECT,
  RESOURCE_PROVIDER_KINDS,
  type AppSelection,
  type ConfigurationPreview,
  type ConfigurationPreviewRequest,
  type ResourceProviderKind,
  type RpcReply,
} from '@fedops/contracts';
import { FedopsError, validateDomain, type FieldError } from '@fedops/domain';
import { JsonLogger, rpcReply } from '@fedops/service-kit';
import { previewConfiguration } from './configuration-preview';
import type { SmtpRelaySettings } from './flake-renderer';

/** The mail relay the deploys render (its host, port and user; never the password), or null for none. */
export const SMTP_RELAY_SETTINGS = Symbol('SMTP_RELAY_SETTINGS');

/**
 * tenant-api's dry run of a change to a tenant's apps over NATS request/reply: the NixOS
 * configuration before and after, rendered as a deploy would, answered as the files that differ.
 * Nothing is written, sent to a machine or stored.
 */
@Controller()
export class ConfigurationPreviewController {
  private readonly log;

  constructor(
    @Inject(SMTP_RELAY_SETTINGS) private readonly smtp: SmtpRelaySettings | null,
    logger: JsonLogger,
  ) {
    this.log = logger.child('configuration-preview');
  }

  @MessagePattern(CONFIGURATION_PREVIEW_SUBJECT)
  preview(@Payload() body: unknown): Promise<RpcReply<ConfigurationPreview>> {
    return rpcReply('deployer', this.log, 'preview a configuration change', () => {
      const request = parseConfigurationPreviewRequest(body);
      const preview = previewConfiguration(request, this.smtp ?? undefined);
      this.log.info('configuration change previewed', {
        tenantId: request.tenantId,
        files: preview.files.length,
      });
      return Promise.resolve(preview);
    });
  }
}

/**
 * The request as sent, or a VALIDATION_FAILED naming each bad field. The selections' contents are
 * checked by previewConfiguration (validateAppSelections), which names them `from[i]…`/`to[i]…`.
 */
export function parseConfigurationPreviewRequest(body: unknown): ConfigurationPreviewRequest {
  const raw = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  const { tenantId, domain, provider, from, to } = raw;
  if (typeof tenantId !== 'string' || tenantId === '')
    errors.push({ field: 'tenantId', message: 'is required (a non-empty string)' });
  if (typeof domain !== 'string') errors.push({ field: 'domain', message: 'is required (a domain name)' });
  else errors.push(...validateDomain(domain, 'domain'));
  if (!isProviderKind(provider))
    errors.push({ field: 'provider', message: `must be one of ${RESOURCE_PROVIDER_KINDS.join(', ')}` });
  for (const [field, value] of [
    ['from', from],
    ['to', to],
  ] as const)
    if (!Array.isArray(value)) errors.push({ field, message: 'must be an array of { app, options }' });
  if (errors.length > 0) throw FedopsError.validation(errors);
  return {
    tenantId: tenantId as string,
    domain: domain as string,
    provider: provider as ResourceProviderKind,
    from: from as AppSelection[],
    to: to as AppSelection[],
  };
}

function isProviderKind(value: unknown): value is ResourceProviderKind {
  return typeof value === 'string' && (RESOURCE_PROVIDER_KINDS as readonly string[]).includes(value);
}
