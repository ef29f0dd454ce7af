import { subscribe, unsubscribe } from 'node:diagnostics_channel';

interface UndiciRequest {
  origin?: unknown;
}

/**
 * Counts the HTTP requests this process sends to one origin, and how they were answered, from
 * undici's diagnostics channels: Node's fetch (the Hetzner and DigitalOcean drivers) and the undici
 * package (proxmox-api) both publish there, so every driver call is seen without touching a driver.
 */
export class HttpCallCounter {
  calls = 0;
  /** Requests that got no answer at all (connection refused, dropped, timed out). */
  unanswered = 0;
  readonly byStatus = new Map<number, number>();
  private readonly onCreate = (message: unknown): void => {
    if (this.matches(message)) this.calls += 1;
  };
  private readonly onHeaders = (message: unknown): void => {
    if (!this.matches(message)) return;
    const status = (message as { response?: { statusCode?: unknown } }).response?.statusCode;
    if (typeof status === 'number') this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  };
  private readonly onError = (message: unknown): void => {
    if (this.matches(message)) this.unanswered += 1;
  };

  constructor(private readonly origin: string) {
    subscribe('undici:request:create', this.onCreate);
    subscribe('undici:request:headers', this.onHeaders);
    subscribe('undici:request:error', this.onError);
  }

  /** The counts so far, to subtract from a later snapshot. */
  snapshot(): CallSnapshot {
    let serverErrors = 0;
    for (const [status, count] of this.byStatus) if (status >= 500) serverErrors += count;
    return {
      calls: this.calls,
      answered5xx: serverErrors,
      answered429: this.byStatus.get(429) ?? 0,
      unanswered: this.unanswered,
    };
  }

  close(): void {
    unsubscribe('undici:request:create', this.onCreate);
    unsubscribe('undici:request:headers', this.onHeaders);
    unsubscribe('undici:request:error', this.onError);
  }

  private matches(message: unknown): boolean {
    const origin = (message as { request?: UndiciRequest }).request?.origin;
    if (origin === undefined) return false;
    return (origin instanceof URL ? origin.origin : String(origin)) === this.origin;
  }
}

export interface CallSnapshot {
  calls: number;
  answered5xx: number;
  answered429: number;
  unanswered: number;
}

export function callsBetween(before: CallSnapshot, after: CallSnapshot): CallSnapshot {
  return {
    calls: after.calls - before.calls,
    answered5xx: after.answered5xx - before.answered5xx,
    answered429: after.answered429 - before.answered429,
    unanswered: after.unanswered - before.unanswered,
  };
}
