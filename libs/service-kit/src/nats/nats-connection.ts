import type { CommonConfig } from '../config/config';

export type NatsConfig = Pick<CommonConfig, 'natsUrl' | 'natsUser' | 'natsPassword'>;

/** What nats.js `connect` takes; Nest's NATS transport hands the same options on to it. */
export interface NatsConnectionOptions {
  readonly servers: string[];
  readonly user: string;
  readonly pass: string;
  readonly inboxPrefix: string;
  readonly name: string;
  readonly maxReconnectAttempts: number;
}

/**
 * The options of every NATS connection of a service (its own, Nest's request/reply server and
 * clients): the service's user, and its inbox `_INBOX.<user>`, the only one the server lets that
 * user subscribe to (libs/testing/src/infra/nats.config.ts, natsInboxPrefix). `name` shows in the
 * server's connection list. Every connection reconnects without limit. The password goes to the
 * server only: never log these options.
 */
export function natsConnectionOptions(config: NatsConfig, name: string): NatsConnectionOptions {
  return {
    servers: [config.natsUrl],
    user: config.natsUser,
    pass: config.natsPassword,
    inboxPrefix: `_INBOX.${config.natsUser}`,
    name,
    // Reconnect for as long as the service lives (nats.js gives up after 10 tries, 20 s, by default):
    // a NATS restart that takes longer must not leave request/reply dead until the service restarts.
    maxReconnectAttempts: -1,
  };
}
