/**
 * Pure reading of docker-compose.yml, .env files and the Dockerfile, for the deploy tests: no Docker
 * engine involved. Only the parts of the Compose specification fedops uses are modelled.
 */
import { parse } from 'yaml';

export type Env = Record<string, string>;

export interface ComposeService {
  name: string;
  raw: Record<string, unknown>;
}

export interface ComposeModel {
  services: Map<string, ComposeService>;
  volumes: Set<string>;
  secrets: Set<string>;
  raw: Record<string, unknown>;
}

export interface Dependency {
  condition: string;
  required: boolean;
}

export interface PublishedPort {
  hostIp: string | undefined;
  published: string;
  target: string;
  protocol: string;
}

export interface VolumeMount {
  kind: 'volume' | 'bind';
  source: string | undefined;
  target: string;
}

export interface BuildSpec {
  context: string;
  dockerfile: string;
  target: string | undefined;
  args: Env;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new Error(`${where} must be a mapping`);
  return value;
}

function scalar(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${where} must be a string, number or boolean`);
}

/** Parses a compose file (YAML 1.1 merge keys `<<:` enabled, as Compose does). */
export function parseCompose(text: string): ComposeModel {
  const raw = record(parse(text, { merge: true }) as unknown, 'compose file');
  const services = new Map<string, ComposeService>();
  for (const [name, value] of Object.entries(record(raw['services'], 'services'))) {
    services.set(name, { name, raw: record(value, `services.${name}`) });
  }
  return {
    services,
    volumes: new Set(Object.keys(record(raw['volumes'], 'volumes'))),
    secrets: new Set(Object.keys(record(raw['secrets'], 'secrets'))),
    raw,
  };
}

/** `KEY=value` lines; `#` comments and blank lines skipped; one pair of surrounding quotes removed. */
export function parseEnvFile(text: string): Env {
  const env: Env = {};
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
    if (match === null)
      throw new Error(`env file line ${index + 1} is not KEY=value: ${JSON.stringify(line)}`);
    const [, key = '', value = ''] = match;
    env[key] = /^(['"]).*\1$/.test(value) ? value.slice(1, -1) : value;
  }
  return env;
}

export interface VariableReference {
  name: string;
  /** `${X:-d}`, `${X-d}` or `${X:+a}`: the reference resolves without the variable. */
  optional: boolean;
}

const REFERENCE =
  /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** The variables a compose value refers to (`$$` is an escaped dollar, not a reference). */
export function variableReferences(value: string): VariableReference[] {
  const refs: VariableReference[] = [];
  for (const m of value.matchAll(REFERENCE)) {
    const name = m[1] ?? m[4];
    if (name === undefined) continue;
    const op = m[2];
    refs.push({ name, optional: op !== undefined && !op.endsWith('?') });
  }
  return refs;
}

/** Compose interpolation: `${X}`, `$X`, `${X:-d}`, `${X-d}`, `${X:?e}`, `${X?e}`, `${X:+a}`, `$$`. */
export function interpolate(value: string, env: Env, where = 'value'): string {
  return value.replace(
    REFERENCE,
    (whole: string, braced?: string, op?: string, arg?: string, bare?: string): string => {
      if (whole === '$$') return '$';
      const name = braced ?? bare ?? '';
      const set = env[name];
      const nonEmpty = set !== undefined && set !== '';
      switch (op) {
        case undefined:
          if (set === undefined) throw new Error(`${where}: variable ${name} is not set`);
          return set;
        case ':-':
          return nonEmpty ? set : interpolate(arg ?? '', env, where);
        case '-':
          return set ?? interpolate(arg ?? '', env, where);
        case ':?':
          if (!nonEmpty) throw new Error(`${where}: variable ${name} is required (${arg ?? ''})`);
          return set;
        case '?':
          if (set === undefined) throw new Error(`${where}: variable ${name} is required (${arg ?? ''})`);
          return set;
        case ':+':
          return nonEmpty ? interpolate(arg ?? '', env, where) : '';
        case '+':
          return set !== undefined ? interpolate(arg ?? '', env, where) : '';
        default:
          throw new Error(`${where}: unsupported interpolation ${whole}`);
      }
    },
  );
}

/** Every string in a parsed YAML tree, with its path (for messages). */
export function stringLeaves(value: unknown, path = ''): Array<{ path: string; value: string }> {
  if (typeof value === 'string') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, `${path}[${i}]`));
  if (isRecord(value))
    return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, path === '' ? k : `${path}.${k}`));
  return [];
}

/** `environment:` in map or list form, values as written (not interpolated). */
export function serviceEnvironment(service: ComposeService): Env {
  const value = service.raw['environment'];
  const where = `services.${service.name}.environment`;
  const env: Env = {};
  if (Array.isArray(value)) {
    for (const item of value) {
      const entry = scalar(item, where);
      const eq = entry.indexOf('=');
      if (eq < 0) throw new Error(`${where}: "${entry}" has no value (taken from the shell at run time)`);
      env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  }
  for (const [key, v] of Object.entries(record(value, where))) {
    if (v === null) throw new Error(`${where}.${key} has no value (taken from the shell at run time)`);
    env[key] = scalar(v, `${where}.${key}`);
  }
  return env;
}

/** `depends_on:` in list form (condition service_started) or map form. */
export function dependsOn(service: ComposeService): Map<string, Dependency> {
  const value = service.raw['depends_on'];
  const where = `services.${service.name}.depends_on`;
  const deps = new Map<string, Dependency>();
  if (Array.isArray(value)) {
    for (const item of value) deps.set(scalar(item, where), { condition: 'service_started', required: true });
    return deps;
  }
  for (const [name, v] of Object.entries(record(value, where))) {
    const spec = record(v, `${where}.${name}`);
    deps.set(name, {
      condition: spec['condition'] === undefined ? 'service_started' : scalar(spec['condition'], where),
      required: spec['required'] !== false,
    });
  }
  return deps;
}

/** Short syntax `[ip:][published:]target[/proto]` or long syntax. Entries without a published port are skipped. */
export function publishedPorts(service: ComposeService): PublishedPort[] {
  const value = service.raw['ports'];
  if (value === undefined) return [];
  const where = `services.${service.name}.ports`;
  if (!Array.isArray(value)) throw new Error(`${where} must be a list`);
  const ports: PublishedPort[] = [];
  for (const item of value) {
    if (isRecord(item)) {
      if (item['published'] === undefined) continue;
      ports.push({
        hostIp: item['host_ip'] === undefined ? undefined : scalar(item['host_ip'], where),
        published: scalar(item['published'], where),
        target: scalar(item['target'], where),
        protocol: item['protocol'] === undefined ? 'tcp' : scalar(item['protocol'], where),
      });
      continue;
    }
    const text = scalar(item, where);
    const [spec = '', protocol = 'tcp'] = text.split('/');
    const parts = spec.split(':');
    if (parts.length === 1) continue;
    const target = parts.pop() ?? '';
    const published = parts.pop() ?? '';
    ports.push({ hostIp: parts.length > 0 ? parts.join(':') : undefined, published, target, protocol });
  }
  return ports;
}

/** `volumes:` of a service; a short-syntax source not starting with `.`, `/` or `~` is a named volume. */
export function volumeMounts(service: ComposeService): VolumeMount[] {
  const value = service.raw['volumes'];
  if (value === undefined) return [];
  const where = `services.${service.name}.volumes`;
  if (!Array.isArray(value)) throw new Error(`${where} must be a list`);
  return value.map((item): VolumeMount => {
    if (isRecord(item)) {
      const type = item['type'] === undefined ? 'volume' : scalar(item['type'], where);
      const source = item['source'] === undefined ? undefined : scalar(item['source'], where);
      return { kind: type === 'bind' ? 'bind' : 'volume', source, target: scalar(item['target'], where) };
    }
    const parts = scalar(item, where).split(':');
    if (parts.length === 1) return { kind: 'volume', source: undefined, target: parts[0] ?? '' };
    const [source = '', target = ''] = parts;
    return { kind: /^[./~]/.test(source) ? 'bind' : 'volume', source, target };
  });
}

/** Secret names a service mounts (short or long syntax). */
export function serviceSecrets(service: ComposeService): string[] {
  const value = service.raw['secrets'];
  if (value === undefined) return [];
  const where = `services.${service.name}.secrets`;
  if (!Array.isArray(value)) throw new Error(`${where} must be a list`);
  return value.map((item) => (isRecord(item) ? scalar(item['source'], where) : scalar(item, where)));
}

/** Where a secret appears inside the container. */
export function secretTarget(service: ComposeService, secret: string): string | undefined {
  const value = service.raw['secrets'];
  if (!Array.isArray(value)) return undefined;
  for (const item of value) {
    if (item === secret) return `/run/secrets/${secret}`;
    if (isRecord(item) && item['source'] === secret) {
      const target = item['target'] === undefined ? secret : scalar(item['target'], 'secrets.target');
      return target.startsWith('/') ? target : `/run/secrets/${target}`;
    }
  }
  return undefined;
}

/** `build:` as a mapping (a bare string is a context with the default Dockerfile). */
export function buildSpec(service: ComposeService): BuildSpec | undefined {
  const value = service.raw['build'];
  if (value === undefined) return undefined;
  const where = `services.${service.name}.build`;
  if (typeof value === 'string')
    return { context: value, dockerfile: 'Dockerfile', target: undefined, args: {} };
  const build = record(value, where);
  const args: Env = {};
  const rawArgs = build['args'];
  if (Array.isArray(rawArgs)) {
    for (const item of rawArgs) {
      const entry = scalar(item, `${where}.args`);
      const eq = entry.indexOf('=');
      if (eq > 0) args[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else {
    for (const [k, v] of Object.entries(record(rawArgs, `${where}.args`)))
      args[k] = scalar(v, `${where}.args`);
  }
  return {
    context: build['context'] === undefined ? '.' : scalar(build['context'], where),
    dockerfile: build['dockerfile'] === undefined ? 'Dockerfile' : scalar(build['dockerfile'], where),
    target: build['target'] === undefined ? undefined : scalar(build['target'], where),
    args,
  };
}

/** `healthcheck.test` present and not disabled. */
export function hasHealthcheck(service: ComposeService): boolean {
  const hc = service.raw['healthcheck'];
  if (!isRecord(hc)) return false;
  if (hc['disable'] === true) return false;
  const test = hc['test'];
  return test !== undefined && !(Array.isArray(test) && test[0] === 'NONE');
}

/** Dockerfile text with `\` line continuations joined and comments removed, one instruction per line. */
export function dockerfileInstructions(text: string): string[] {
  const withoutComments = text
    .split(/\r?\n/)
    .filter((line) => !/^\s*#/.test(line))
    .join('\n');
  return withoutComments
    .replace(/\\\r?\n/g, ' ')
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '');
}

/** Packages named by `apt-get install` commands in RUN instructions. */
export function aptPackages(text: string): Set<string> {
  const packages = new Set<string>();
  for (const line of dockerfileInstructions(text)) {
    if (!line.startsWith('RUN ')) continue;
    for (const m of line.matchAll(/apt-get install((?:\s+[^\s&;|]+)+)/g)) {
      for (const word of (m[1] ?? '').trim().split(' ')) if (!word.startsWith('-')) packages.add(word);
    }
  }
  return packages;
}

/** Programs a RUN instruction checks with `command -v a b c` (the build fails if one is missing). */
export function checkedCommands(text: string): Set<string> {
  const commands = new Set<string>();
  for (const line of dockerfileInstructions(text)) {
    if (!line.startsWith('RUN ')) continue;
    for (const m of line.matchAll(/command -v((?:\s+[^\s&;|]+)+)/g)) {
      for (const word of (m[1] ?? '').trim().split(' ')) commands.add(word);
    }
  }
  return commands;
}

/** Stage names (`FROM image AS name`). */
export function dockerfileStages(text: string): string[] {
  return dockerfileInstructions(text)
    .map((line) => /^FROM \S+ AS (\S+)$/i.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}
