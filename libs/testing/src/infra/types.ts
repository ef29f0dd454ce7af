import type { NatsServiceUser } from './nats.config';
import type { PortPicker } from './port-allocation';

/** Connection info for the platform's PostgreSQL (an application role that may create databases). */
export interface PostgresEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** `postgres://user:password@host:port/database` */
  readonly url: string;
}

export interface NatsCredentials {
  readonly user: string;
  readonly password: string;
}

/** NATS requires a user: connect with `{ servers: url, user, pass }` (no anonymous access). */
export interface NatsEndpoint {
  /** `nats://127.0.0.1:<port>` (JetStream enabled) */
  readonly url: string;
  /** HTTP monitoring endpoint, e.g. `http://127.0.0.1:<port>` (native mode only; needs no credentials). */
  readonly monitorUrl?: string;
  /** Every permission: the harness's readiness check, tests that set up streams or inspect them. */
  readonly admin: NatsCredentials;
  /** Each service's own user, with the permissions of nats.config.ts (servicePermissions). */
  readonly services: Readonly<Record<NatsServiceUser, NatsCredentials>>;
}

export interface TemporalEndpoint {
  /** gRPC frontend, `127.0.0.1:<port>` */
  readonly address: string;
  readonly namespace: string;
  /** Web UI, when it runs (not in headless test mode). */
  readonly uiUrl?: string;
}

export interface PowerDnsEndpoint {
  /** Base URL of the webserver WITHOUT `/api/v1`, e.g. `http://127.0.0.1:18081`. */
  readonly apiUrl: string;
  readonly apiKey: string;
  /** UDP+TCP port of the authoritative DNS server on 127.0.0.1. */
  readonly dnsPort: number;
  readonly serverId: 'localhost';
}

/** An S3 server (versitygw) with one root key pair and the backups' bucket, which exists. */
export interface S3Endpoint {
  /** `http://127.0.0.1:<port>` (path-style: `<endpoint>/<bucket>/<key>`). */
  readonly endpoint: string;
  /** `us-east-1` */
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** `fedops-backups` */
  readonly bucket: string;
}

export interface InfraEndpoints {
  readonly postgres: PostgresEndpoint;
  readonly nats: NatsEndpoint;
  readonly temporal: TemporalEndpoint;
  readonly powerdns: PowerDnsEndpoint;
  readonly s3: S3Endpoint;
}

export type InfraComponent = 'postgres' | 'nats' | 'temporal' | 'powerdns' | 's3';
export const INFRA_COMPONENTS: readonly InfraComponent[] = ['postgres', 'nats', 'temporal', 'powerdns', 's3'];

/** Which InfraEndpoints key each component fills. */
export interface EndpointKeyOf {
  postgres: 'postgres';
  nats: 'nats';
  temporal: 'temporal';
  powerdns: 'powerdns';
  s3: 's3';
}

export interface ComponentOptions {
  /** The component's own directory (data, config, logs). Created if missing. */
  readonly dataDir: string;
  /** Main port; 0/undefined = reuse the one saved in dataDir (persistent mode) or pick a free one. */
  readonly port?: number;
  /** Throw-away data: faster settings (fsync off, in-memory Temporal), no reuse of earlier state. */
  readonly ephemeral: boolean;
  /** Readiness deadline. Default 60 s. */
  readonly readyTimeoutMs?: number;
  /** Where ports chosen free come from (tests inject one that hands out a port they hold). */
  readonly portPicker?: PortPicker;
}

export interface RunningComponent<E> {
  readonly endpoint: E;
  /** Pid of the server process (native mode). */
  readonly pid?: number;
  /** Log file of the server process (native mode). */
  readonly logFile?: string;
  /** The ports it listens on, by name (native mode): a restart asks for exactly these again. */
  readonly ports?: Readonly<Record<string, number>>;
  /** Aborted when the server process exits (native mode): what a supervisor watches. */
  readonly exited?: AbortSignal;
  /** Stop the process (graceful, then SIGKILL). Idempotent. */
  stop(): Promise<void>;
}
