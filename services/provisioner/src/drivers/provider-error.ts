import type { ResourceProviderKind } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';

/** What a provider said when it refused a call: surfaced on the operation as the provider's own words. */
export interface ProviderRefusal {
  /** HTTP status, when the refusal came over HTTP. */
  status?: number;
  /** The vendor's error code (`locked`, `unprocessable_entity`, a Proxmox task's exit status ...). */
  code?: string;
  /** The vendor's message, as sent (never a credential: drivers must not echo request headers). */
  message: string;
  /** Whether a later attempt can succeed (5xx, 429, locks, VMID races), so Temporal retries it. */
  retryable: boolean;
  /** Seconds the vendor asked us to wait (Retry-After, RateLimit-Reset), if it said. */
  retryAfterSeconds?: number;
}

/** A provider's refusal as a coded error; `retryable` steers the activity's retry policy. */
export class ProviderError extends FedopsError {
  readonly retryable: boolean;

  constructor(
    readonly provider: ResourceProviderKind,
    readonly refusal: ProviderRefusal,
    options: { cause?: unknown; action?: string } = {},
  ) {
    const what = options.action === undefined ? '' : ` while trying to ${options.action}`;
    const code = refusal.code === undefined ? '' : ` (${refusal.code})`;
    super(
      FedopsErrorCode.ProviderFailed,
      `${PROVIDER_NAMES[provider]} refused${what}: ${refusal.message}${code}`,
      {
        cause: options.cause,
        extensions: {
          provider,
          ...(refusal.status !== undefined ? { providerStatus: refusal.status } : {}),
          ...(refusal.code !== undefined ? { providerCode: refusal.code } : {}),
          providerMessage: refusal.message,
        },
      },
    );
    this.name = 'ProviderError';
    this.retryable = refusal.retryable;
  }
}

export const PROVIDER_NAMES: Record<ResourceProviderKind, string> = {
  sandbox: 'The sandbox host',
  proxmox: 'Proxmox VE',
  hetzner: 'Hetzner Cloud',
  digitalocean: 'DigitalOcean',
};

/** Whether an HTTP status means "try again later" for any of the vendors. */
export function isRetryableStatus(status: number): boolean {
  return (
    status === 408 || status === 409 || status === 423 || status === 429 || (status >= 500 && status !== 501)
  );
}
