/**
 * Configuration read once at boot from the environment and validated as a whole: every bad or
 * missing variable is listed in one error, so an operator fixes them in one go.
 */
export type VarSpec<T> = {
  /** Environment variable name, e.g. FEDOPS_DATABASE_URL. */
  env: string;
  description: string;
  parse: (raw: string) => T;
  /** Used when the variable is unset; without it the variable is required. */
  default?: T;
  /** Never echo the value in errors or logs. */
  secret?: boolean;
};

export type ConfigSpec = Record<string, VarSpec<unknown>>;
export type ConfigOf<S extends ConfigSpec> = { [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never };

export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    service: string,
  ) {
    super(`${service}: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig<S extends ConfigSpec>(
  service: string,
  spec: S,
  env: Record<string, string | undefined> = process.env,
): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(spec)) {
    const raw = env[v.env];
    if (raw === undefined || raw === '') {
      if ('default' in v && v.default !== undefined) out[key] = v.default;
      else problems.push(`${v.env} is required (${v.description})`);
      continue;
    }
    try {
      out[key] = v.parse(raw);
    } catch (err) {
      const shown = v.secret === true ? '<hidden>' : JSON.stringify(raw);
      problems.push(`${v.env}=${shown} is invalid: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, service);
  return out as ConfigOf<S>;
}

/** Parsers for the common shapes. Each throws a short reason. */
export const parse = {
  string: (raw: string): string => raw,
  port: (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error('must be a TCP port (0-65535)');
    return n;
  },
  positiveInt: (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error('must be a positive integer');
    return n;
  },
  url:
    (protocols: string[]) =>
    (raw: string): string => {
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        throw new Error('must be a URL');
      }
      if (!protocols.includes(u.protocol.replace(/:$/, '')))
        throw new Error(`must use ${protocols.join(' or ')}`);
      return raw;
    },
  /** One token of a NATS subject: no dots, wildcards or spaces. */
  subjectToken: (raw: string): string => {
    if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw new Error('must be letters, digits, - or _');
    return raw;
  },
  hostPort: (raw: string): string => {
    if (!/^[^\s:]+:\d{1,5}$/.test(raw)) throw new Error('must be host:port');
    return raw;
  },
  absolutePath: (raw: string): string => {
    if (!raw.startsWith('/')) throw new Error('must be an absolute path');
    return raw;
  },
  base64Key32: (raw: string): string => {
    if (Buffer.from(raw, 'base64').length !== 32) throw new Error('must be 32 bytes, base64-encoded');
    return raw;
  },
  oneOf:
    <T extends string>(values: readonly T[]) =>
    (raw: string): T => {
      if (!(values as readonly string[]).includes(raw))
        throw new Error(`must be one of ${values.join(', ')}`);
      return raw as T;
    },
  boolean: (raw: string): boolean => {
    if (['1', 'true', 'yes'].includes(raw)) return true;
    if (['0', 'false', 'no'].includes(raw)) return false;
    throw new Error('must be true or false');
  },
};

/** Variables every service has. */
export const commonConfigSpec = {
  httpPort: {
    env: 'FEDOPS_HTTP_PORT',
    description: 'port of /healthz, /readyz, /metrics (and the API)',
    parse: parse.port,
  },
  httpHost: {
    env: 'FEDOPS_HTTP_HOST',
    description: 'address to listen on',
    parse: parse.string,
    default: '127.0.0.1',
  },
  databaseUrl: {
    env: 'FEDOPS_DATABASE_URL',
    description: 'PostgreSQL URL; the service keeps its tables in its own schema',
    parse: parse.url(['postgres', 'postgresql']),
    secret: true,
  },
  natsUrl: { env: 'FEDOPS_NATS_URL', description: 'NATS server with JetStream', parse: parse.url(['nats']) },
  // Required: the server admits no anonymous client, and each service's user may publish and
  // subscribe only to what that service needs (libs/testing/src/infra/nats.config.ts).
  natsUser: {
    env: 'FEDOPS_NATS_USER',
    description: "this service's NATS user (its replies arrive under _INBOX.<user>)",
    parse: parse.subjectToken,
  },
  natsPassword: {
    env: 'FEDOPS_NATS_PASSWORD',
    description: 'password of FEDOPS_NATS_USER',
    parse: parse.string,
    secret: true,
  },
  temporalAddress: {
    env: 'FEDOPS_TEMPORAL_ADDRESS',
    description: 'Temporal frontend host:port',
    parse: parse.hostPort,
  },
  temporalNamespace: {
    env: 'FEDOPS_TEMPORAL_NAMESPACE',
    description: 'Temporal namespace',
    parse: parse.string,
    default: 'default',
  },
  logLevel: {
    env: 'FEDOPS_LOG_LEVEL',
    description: 'debug, info, warn or error',
    parse: parse.oneOf(['debug', 'info', 'warn', 'error'] as const),
    default: 'info' as const,
  },
} satisfies ConfigSpec;
export type CommonConfig = ConfigOf<typeof commonConfigSpec>;
