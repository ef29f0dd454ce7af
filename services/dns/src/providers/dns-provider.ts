import { FedopsError, FedopsErrorCode } from '@fedops/domain';

/**
 * The seam between the dns service and a DNS hosting provider (PowerDNS now; deSEC, Cloudflare,
 * DigitalOcean DNS later). At this layer every name is absolute, lower-case, with a trailing dot
 * (`social.example.org.`), and record contents are in presentation format.
 */
export interface DnsProviderDriver {
  /** Short provider name for logs and errors, e.g. `powerdns`. */
  readonly kind: string;
  /**
   * Create the zone if it does not exist, with the provider's SOA and NS (for a self-hosted
   * provider, the configured name servers and hostmaster); `created: false` when it already existed.
   */
  ensureZone(zone: string): Promise<{ created: boolean }>;
  /**
   * Bring the SOA (names and timers; the serial stays the provider's) and NS of an existing zone
   * the platform created to what `ensureZone` writes today, so zones made before a configuration
   * change are corrected. Idempotent: `corrected: false` when they already matched.
   */
  ensureZoneApex(zone: string): Promise<{ corrected: boolean }>;
  /** Delete the zone with all its records; `deleted: false` when it did not exist. */
  deleteZone(zone: string): Promise<{ deleted: boolean }>;
  /**
   * Apply whole-RRset changes in one request (all or nothing where the provider allows it).
   * Replacing and deleting are idempotent; deleting an absent RRset is not an error.
   */
  replaceRRsets(zone: string, changes: RRsetChange[]): Promise<void>;
  /** Every RRset of the zone (SOA and NS included); only enabled records are listed. */
  listRRsets(zone: string): Promise<RRset[]>;
}

/** All records of one name and type. */
export interface RRset {
  name: string;
  type: string;
  ttl: number;
  /** Record contents in presentation format (`192.0.2.10`, `"txt value"`, `ns1.example.net.`). */
  records: string[];
}

export type RRsetChange =
  | { action: 'replace'; name: string; type: string; ttl: number; records: string[] }
  | { action: 'delete'; name: string; type: string };

/** A provider call failed. `status` is the HTTP status when there was a response. */
export class DnsProviderError extends FedopsError {
  readonly provider: string;
  readonly operation: string;
  readonly status: number | undefined;
  /** The provider's own error text (e.g. PowerDNS's `error` field), when it sent one. */
  readonly providerMessage: string | undefined;
  /** True for failures worth retrying later (5xx, network, timeouts); false for 4xx and bad responses. */
  readonly retryable: boolean;

  constructor(input: {
    provider: string;
    operation: string;
    message: string;
    status?: number;
    providerMessage?: string;
    retryable: boolean;
    cause?: unknown;
  }) {
    const code = input.status === 404 ? FedopsErrorCode.NotFound : FedopsErrorCode.ProviderFailed;
    super(code, `${input.provider} ${input.operation}: ${input.message}`, { cause: input.cause });
    this.name = 'DnsProviderError';
    this.provider = input.provider;
    this.operation = input.operation;
    this.status = input.status;
    this.providerMessage = input.providerMessage;
    this.retryable = input.retryable;
  }
}

/** `Example.org` / `example.org.` -> `example.org.` */
export function absoluteName(name: string): string {
  const trimmed = name.trim().toLowerCase();
  return trimmed.endsWith('.') ? trimmed : `${trimmed}.`;
}
