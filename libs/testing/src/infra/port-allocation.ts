import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { choosePorts, type ComponentState } from './component-state';
import { freePorts, isPortFree } from './free-port';

const execFileAsync = promisify(execFile);

/**
 * Race-free ports for servers we start. A port "chosen as free" (bind :0, read, close) can be taken
 * by any other process before our server binds it. So a component started on ports it did not ask
 * for explicitly is started again on fresh ports when its server says a bind failed; an explicitly
 * requested port is never changed silently: that fails, naming the port and what holds it.
 */

/** Picks `count` distinct ports that are free now. Injectable so a test can hand out a port it holds. */
export type PortPicker = (count: number) => Promise<number[]>;

export const defaultPortPicker: PortPicker = (count) => freePorts(count);

/** A server could not bind one of its ports (its output said so, or a Node server threw EADDRINUSE). */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly component: string,
    /** The port the server named, when it named one of its ports. */
    readonly port: number | undefined,
    /** The line of output that says so. */
    readonly evidence: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${component} could not bind ${port === undefined ? 'one of its ports' : `port ${port}`}: ${evidence}`,
      options,
    );
  }
}

/** An explicitly requested port is taken; we do not move a component off a port it was given. */
export class RequestedPortInUseError extends Error {
  override readonly name = 'RequestedPortInUseError';
  constructor(
    readonly component: string,
    readonly port: number | undefined,
    readonly holder: string | undefined,
    evidence: string,
    options?: { cause?: unknown },
  ) {
    const which = port === undefined ? 'one of its requested ports' : `requested port ${port}`;
    const held = holder === undefined ? '' : ` (held by ${holder})`;
    super(
      `${component} cannot start: ${which} is already in use${held}. It was asked for explicitly, so it is not ` +
        `changed; stop what holds it or choose another port. Server said: ${evidence}`,
      options,
    );
  }
}

export interface BindFailure {
  readonly evidence: string;
  /** One of the component's ports, when the failing line (or the next) names it. */
  readonly port: number | undefined;
}

const BIND_FAILURE = /address already in use|EADDRINUSE/i;
/** `127.0.0.1:5432`, `[::1]:5432`, `localhost:5432` or `port 5432` (not the minutes of `08:49:08`). */
const PORT_MENTION = /(?:\d+\.\d+\.\d+\.\d+|\]|localhost):(\d{1,5})\b|\bport (\d{1,5})\b/gi;
const MAX_EVIDENCE = 200;

/**
 * Pure: the first line of a server's output saying that a bind failed, and which of `ports` it names
 * (postgres names it on the HINT line after; nats, pdns' DNS listener and Node on the same line;
 * pdns' webserver names none).
 */
export function findBindFailure(output: string, ports: readonly number[]): BindFailure | undefined {
  const lines = output.split('\n');
  const index = lines.findIndex((line) => BIND_FAILURE.test(line));
  if (index < 0) return undefined;
  const line = lines[index] ?? '';
  const nearby = `${line}\n${lines[index + 1] ?? ''}`;
  const mentioned = [...nearby.matchAll(PORT_MENTION)].map((match) => Number(match[1] ?? match[2]));
  const port = mentioned.find((candidate) => ports.includes(candidate));
  return { evidence: evidenceOf(line), port };
}

/** The part of a long line (JSON log, stack) around "address already in use". */
function evidenceOf(line: string): string {
  const trimmed = line.trim();
  if (trimmed.length <= MAX_EVIDENCE) return trimmed;
  const at = trimmed.search(BIND_FAILURE);
  const start = Math.max(0, at - (MAX_EVIDENCE - 40));
  return `…${trimmed.slice(start, start + MAX_EVIDENCE)}…`;
}

/** The PortInUseError in an error's cause chain, or a Node EADDRINUSE turned into one. */
export function portInUseIn(error: unknown, component: string): PortInUseError | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 10; depth += 1) {
    if (current instanceof PortInUseError) return current;
    if (current instanceof Error && (current as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      const port = (current as NodeJS.ErrnoException & { port?: unknown }).port;
      return new PortInUseError(component, typeof port === 'number' ? port : undefined, current.message);
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}

export type PortRetryDecision<K extends string> =
  | {
      readonly kind: 'retry';
      readonly ports: Record<K, number>;
      readonly moved: ReadonlyArray<{ readonly name: K; readonly from: number; readonly to: number }>;
    }
  | {
      readonly kind: 'requested-port-taken';
      readonly name: K | undefined;
      readonly port: number | undefined;
    };

/**
 * Pure: what to do after a bind failure. `culprits` are the names whose ports are known to be taken
 * (empty = unknown). A requested (fixed) culprit fails; otherwise the culprits, or when unknown
 * every port we chose ourselves, move to fresh ports not used by this component.
 */
export function planPortRetry<K extends string>(
  ports: Record<K, number>,
  fixed: ReadonlySet<K>,
  culprits: readonly K[],
  fresh: readonly number[],
): PortRetryDecision<K> {
  const names = Object.keys(ports) as K[];
  const fixedCulprit = culprits.find((name) => fixed.has(name));
  if (fixedCulprit !== undefined)
    return { kind: 'requested-port-taken', name: fixedCulprit, port: ports[fixedCulprit] };
  const toMove = culprits.length > 0 ? culprits : names.filter((name) => !fixed.has(name));
  if (toMove.length === 0) return { kind: 'requested-port-taken', name: undefined, port: undefined };
  const inUse = new Set(Object.values<number>(ports));
  const candidates = fresh.filter((port) => !inUse.has(port));
  const next = { ...ports };
  const moved: Array<{ name: K; from: number; to: number }> = [];
  for (const name of toMove) {
    const to = candidates.shift();
    if (to === undefined) throw new Error('planPortRetry: not enough fresh ports');
    moved.push({ name, from: ports[name], to });
    next[name] = to;
  }
  return { kind: 'retry', ports: next, moved };
}

/** Pure: "nats-server (pid 812)" from `ss -Hlnp` output, or undefined. */
export function holderFromSs(output: string): string | undefined {
  const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(output);
  return match ? `${match[1]} (pid ${match[2]})` : undefined;
}

/** Who listens on a local TCP/UDP port, as `ss` tells (root sees every process); undefined if unknown. */
export async function portHolder(port: number): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('ss', ['-Hlnptu', `sport = :${port}`], { timeout: 5_000 });
    return holderFromSs(stdout) ?? (stdout.trim() === '' ? undefined : 'another process');
  } catch {
    return undefined;
  }
}

export interface StartOnPortsOptions<K extends string, T> {
  /** For messages: `postgres`, `tenant-api`. */
  readonly component: string;
  readonly names: readonly K[];
  /** Explicit ports (never changed); 0/undefined = saved (when reuseSaved) or chosen free. */
  readonly requested: Partial<Record<K, number | undefined>>;
  readonly saved?: ComponentState;
  readonly reuseSaved?: boolean;
  readonly pickPorts?: PortPicker;
  /** Starts (and waits for) the server on these ports; throws a PortInUseError (or EADDRINUSE) on a bind failure. */
  readonly start: (ports: Record<K, number>) => Promise<T>;
  /** Default 5. */
  readonly maxAttempts?: number;
  /** Where the retry notice goes. Default stderr. */
  readonly notify?: (line: string) => void;
}

/**
 * Starts a component on its ports, and again on fresh ones when a port we chose was taken between
 * choosing and binding. The one mechanism every component (infrastructure, issuer, services) uses.
 */
export async function startOnPorts<K extends string, T>(
  options: StartOnPortsOptions<K, T>,
): Promise<{ value: T; ports: Record<K, number> }> {
  const pick = options.pickPorts ?? defaultPortPicker;
  const notify = options.notify ?? ((line: string) => process.stderr.write(`${line}\n`));
  const maxAttempts = options.maxAttempts ?? 5;
  const fixed = new Set(
    options.names.filter((name) => {
      const want = options.requested[name];
      return want !== undefined && want !== 0;
    }),
  );
  let ports = await choosePorts(
    options.names,
    options.requested,
    options.saved ?? {},
    options.reuseSaved ?? false,
    pick,
  );
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { value: await options.start(ports), ports };
    } catch (error: unknown) {
      const conflict = portInUseIn(error, options.component);
      if (conflict === undefined) throw error;
      const culprits = await culpritsOf(conflict, ports);
      const decision = planPortRetry(ports, fixed, culprits, await pick(options.names.length * 2));
      if (decision.kind === 'requested-port-taken') {
        const holder = decision.port === undefined ? undefined : await portHolder(decision.port);
        throw new RequestedPortInUseError(options.component, decision.port, holder, conflict.evidence, {
          cause: error,
        });
      }
      if (attempt >= maxAttempts) {
        throw new Error(
          `${options.component}: its ports were taken ${attempt} times in a row; giving up. Last: ${conflict.evidence}`,
          { cause: error },
        );
      }
      for (const { from, to } of decision.moved) {
        notify(
          `[fedops] ${options.component}: port ${from} was taken (${conflict.evidence}); retrying on ${to}`,
        );
      }
      ports = decision.ports;
    }
  }
}

/** Names whose port the server named, else (the server has stopped by now) whose port is not free. */
async function culpritsOf<K extends string>(
  conflict: PortInUseError,
  ports: Record<K, number>,
): Promise<K[]> {
  const names = Object.keys(ports) as K[];
  const named = names.filter((name) => ports[name] === conflict.port);
  if (named.length > 0) return named;
  const taken: K[] = [];
  for (const name of names) if (!(await isPortFree(ports[name]))) taken.push(name);
  return taken;
}
