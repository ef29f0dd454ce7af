import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { emptyState, parseState, serializeState, type SandboxState } from './state-file';

/** Reads and atomically writes `<stateDir>/state.json`. Callers hold the state lock. */
export class StateStore {
  readonly path: string;

  constructor(
    stateDir: string,
    private readonly subnet: string,
    private readonly namePrefix: string,
  ) {
    this.path = join(stateDir, 'state.json');
  }

  async read(): Promise<SandboxState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (isNotFound(err)) return emptyState(this.subnet, this.namePrefix);
      throw new Error(`Cannot read sandbox state file ${this.path}`, { cause: err });
    }
    let state: SandboxState;
    try {
      state = parseState(text);
    } catch (err) {
      throw new Error(`Cannot use sandbox state file ${this.path}`, { cause: err });
    }
    const wanted = emptyState(this.subnet, this.namePrefix);
    if (state.subnet !== wanted.subnet || state.namePrefix !== wanted.namePrefix) {
      throw new Error(
        `Sandbox state file ${this.path} was made for subnet ${state.subnet} and prefix "${state.namePrefix}", ` +
          `not ${wanted.subnet} and "${wanted.namePrefix}"; destroy its hosts first or use another state dir`,
      );
    }
    return state;
  }

  /** Write to a temporary file, fsync, then rename over the old file: readers see old or new, never half. */
  async write(state: SandboxState): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const handle = await open(temp, 'w', 0o600);
      try {
        await handle.writeFile(serializeState(state), 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (err) {
      await rm(temp, { force: true });
      throw new Error(`Cannot write sandbox state file ${this.path}`, { cause: err });
    }
  }
}

/** Structural check: errors from Node's fs may come from another realm (e.g. under jest), failing instanceof. */
export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT';
}
