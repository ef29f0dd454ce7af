import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { VmIdentity } from './sandbox-vms';
import type { SimulatorKind } from './simulator';

/**
 * A simulator's API state on disk, so a restarted simulator still holds its VMs (what `npm start`
 * wants; tests run without one). The file is
 * `{"simulator": kind, "version": n, "savedAt": iso, "state": {...}}`, written whole after changes
 * (debounced, one write at a time) to a temporary file that is then renamed over it, mode 0600: a
 * crash leaves the old file or the new one, never half of one. `flush()` writes what is pending now.
 *
 * Loading validates everything and lists every problem found; a file that is not the simulator's,
 * or not valid, stops the start with an error naming the file (never silently starting empty, which
 * would orphan the machines it names). A missing file is a first start.
 */
export interface SimulatorStateFileOptions<T> {
  /** Absolute path of the file. */
  path: string;
  kind: SimulatorKind;
  /** The layout's version: a file of another version is refused. */
  version: number;
  /** Reads the `state` object; reports problems on `fields` (see StateFields), then returns the state. */
  parse(fields: StateFields): T;
  /** How long after a change the file is written (default 50 ms). */
  debounceMs?: number;
}

export class SimulatorStateFileError extends Error {
  constructor(
    readonly path: string,
    what: string,
    readonly problems: string[] = [],
    options?: { cause?: unknown },
  ) {
    super(
      `Simulator state file ${path} ${what}${problems.length > 0 ? `: ${problems.join('; ')}` : ''} ` +
        '(fix or remove it; removing it forgets the simulated VMs it lists)',
      options,
    );
  }
}

export class SimulatorStateFile<T> {
  readonly path: string;
  private snapshot: (() => T) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  /** A background write that failed: reported by the next `flush()`. */
  private failure: unknown;
  private closed = false;

  constructor(private readonly options: SimulatorStateFileOptions<T>) {
    this.path = options.path;
  }

  /** The saved state, or undefined when there is no file yet. Throws SimulatorStateFileError. */
  async load(): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SimulatorStateFileError(this.path, 'cannot be read', [], { cause: err });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new SimulatorStateFileError(
        this.path,
        'is not valid JSON',
        [err instanceof Error ? err.message : String(err)],
        { cause: err },
      );
    }
    const problems: string[] = [];
    const envelope = StateFields.root(raw, problems);
    if (envelope === undefined) throw new SimulatorStateFileError(this.path, 'is invalid', problems);
    const kind = envelope.raw('simulator');
    if (kind !== this.options.kind) {
      throw new SimulatorStateFileError(
        this.path,
        `is not the state of a ${this.options.kind} simulator (simulator: ${JSON.stringify(kind)})`,
      );
    }
    const version = envelope.raw('version');
    if (version !== this.options.version) {
      throw new SimulatorStateFileError(
        this.path,
        `has version ${JSON.stringify(version)}, this simulator reads version ${this.options.version}`,
      );
    }
    const state = this.options.parse(envelope.object('state'));
    if (problems.length > 0) throw new SimulatorStateFileError(this.path, 'is invalid', problems);
    return state;
  }

  /** From now on, `changed()` saves what `snapshot` returns. */
  attach(snapshot: () => T): void {
    this.snapshot = snapshot;
  }

  /** Something changed: the file is rewritten shortly. */
  changed(): void {
    if (this.closed || this.snapshot === undefined) return;
    this.dirty = true;
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err: unknown) => {
        // Kept for the next flush (close) to report; the next change tries again.
        this.failure = err;
      });
    }, this.options.debounceMs ?? 50);
    this.timer.unref();
  }

  /** Writes a pending change now (after any write in progress); rejects if this or an earlier write failed. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const round = this.writing.then(async () => {
      if (!this.dirty || this.snapshot === undefined) return;
      this.dirty = false;
      try {
        await this.write(this.snapshot());
      } catch (err) {
        this.dirty = true;
        throw err;
      }
    });
    this.writing = round.catch(() => undefined);
    await round;
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      throw new Error(`An earlier write of ${this.path} failed`, { cause: failure });
    }
  }

  /** Flushes, then ignores further changes. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  /** Stops saving and deletes the file (the machines it described are gone). */
  async remove(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    await rm(this.path, { force: true });
  }

  private async write(state: T): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const body = {
      simulator: this.options.kind,
      version: this.options.version,
      savedAt: new Date().toISOString(),
      state,
    };
    const temp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(body, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}

/**
 * Typed reads of one JSON object in a state file, each problem recorded with its path (`servers[2].name:
 * must be a string`) into a list shared by the whole load. A read that finds a problem returns a
 * placeholder (`''`, `0`, `{}`, `[]`); the load fails when the list is not empty, so a placeholder is
 * never used.
 */
export class StateFields {
  private constructor(
    private readonly value: Record<string, unknown>,
    readonly at: string,
    private readonly problems: string[],
  ) {}

  /** The top-level object, or undefined (with a problem) when `value` is not one. */
  static root(value: unknown, problems: string[]): StateFields | undefined {
    if (!isObject(value)) {
      problems.push('must hold a JSON object');
      return undefined;
    }
    return new StateFields(value, '', problems);
  }

  /** Records a problem about `key` (or this object when absent). */
  problem(key: string | undefined, message: string): void {
    this.problems.push(`${key === undefined ? this.at || '(top)' : this.path(key)}: ${message}`);
  }

  raw(key: string): unknown {
    return this.value[key];
  }

  string(key: string, pattern?: RegExp): string {
    const value = this.value[key];
    if (typeof value !== 'string') return this.bad(key, 'must be a string', '');
    if (pattern !== undefined && !pattern.test(value)) return this.bad(key, `must match ${pattern}`, '');
    return value;
  }

  optionalString(key: string): string | undefined {
    return this.value[key] === undefined ? undefined : this.string(key);
  }

  /** A non-negative integer. */
  integer(key: string): number {
    const value = this.value[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      return this.bad(key, 'must be a non-negative integer', 0);
    }
    return value;
  }

  optionalInteger(key: string): number | undefined {
    return this.value[key] === undefined ? undefined : this.integer(key);
  }

  nullableInteger(key: string): number | null {
    return this.value[key] === null ? null : this.integer(key);
  }

  boolean(key: string): boolean {
    const value = this.value[key];
    return typeof value === 'boolean' ? value : this.bad(key, 'must be true or false', false);
  }

  /** An ISO 8601 date string. */
  date(key: string): string {
    const value = this.string(key);
    if (value !== '' && Number.isNaN(Date.parse(value))) return this.bad(key, 'must be an ISO date', '');
    return value;
  }

  nullableDate(key: string): string | null {
    return this.value[key] === null ? null : this.date(key);
  }

  oneOf<V extends string>(key: string, values: readonly V[]): V {
    const value = this.value[key];
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as V;
    return this.bad(key, `must be one of ${values.join(', ')}`, values[0] as V);
  }

  strings(key: string): string[] {
    const value = this.value[key];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
      return this.bad(key, 'must be a list of strings', []);
    }
    return [...(value as string[])];
  }

  /** An object of string values (labels). */
  stringMap(key: string): Record<string, string> {
    const value = this.value[key];
    if (!isObject(value) || !Object.values(value).every((item) => typeof item === 'string')) {
      return this.bad(key, 'must be an object of strings', {});
    }
    return { ...(value as Record<string, string>) };
  }

  object(key: string): StateFields {
    const value = this.value[key];
    if (!isObject(value)) return this.bad(key, 'must be an object', new StateFields({}, this.path(key), []));
    return new StateFields(value, this.path(key), this.problems);
  }

  optionalObject(key: string): StateFields | undefined {
    return this.value[key] === undefined ? undefined : this.object(key);
  }

  /** A list of objects. */
  objects(key: string): StateFields[] {
    const value = this.value[key];
    if (!Array.isArray(value)) return this.bad(key, 'must be a list', []);
    const out: StateFields[] = [];
    value.forEach((item: unknown, i) => {
      const at = `${this.path(key)}[${i}]`;
      if (isObject(item)) out.push(new StateFields(item, at, this.problems));
      else this.problems.push(`${at}: must be an object`);
    });
    return out;
  }

  private path(key: string): string {
    return this.at === '' ? key : `${this.at}.${key}`;
  }

  private bad<V>(key: string, message: string, placeholder: V): V {
    this.problem(key, message);
    return placeholder;
  }
}

/** Records a problem on each entry whose `key` holds a value an earlier entry holds (ids must stay unique). */
export function checkUnique<V>(entries: ReadonlyArray<readonly [StateFields, V]>, key: string): void {
  const seen = new Set<V>();
  for (const [fields, value] of entries) {
    if (seen.has(value)) fields.problem(key, `duplicate ${JSON.stringify(value)}`);
    seen.add(value);
  }
}

/** A VM's identity as saved: who may log in, and (optional) the host key its cloud-init installed. */
export function readVmIdentity(fields: StateFields): VmIdentity {
  const authorizedKeys = fields.strings('authorizedKeys');
  const hostPrivateKey = fields.optionalString('hostPrivateKey');
  return { authorizedKeys, ...(hostPrivateKey !== undefined ? { hostPrivateKey } : {}) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
