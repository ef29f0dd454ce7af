import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { freePorts, isPortFree } from './free-port';

/**
 * What a persistent component remembers between runs (ports, generated secrets), in
 * `<dataDir>/fedops-state.json`, so a second `npm start` comes back on the same addresses.
 */
export type ComponentState = Record<string, string | number>;

const STATE_FILE = 'fedops-state.json';

/** Where a component's state is (0600: it holds its generated secrets). */
export function componentStateFile(dataDir: string): string {
  return join(dataDir, STATE_FILE);
}

export async function readState(dataDir: string): Promise<ComponentState> {
  try {
    const parsed: unknown = JSON.parse(await readFile(componentStateFile(dataDir), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return {};
    const state: ComponentState = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value === 'string' || typeof value === 'number') state[key] = value;
    }
    return state;
  } catch {
    return {};
  }
}

export async function writeState(dataDir: string, state: ComponentState): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(componentStateFile(dataDir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Picks one port per name: the explicitly requested one, else (persistent mode) the saved one if it
 * is still free, else a fresh free port (from `pickPorts`). A port chosen free may be taken before
 * the server binds it: start servers through startOnPorts (port-allocation.ts), which retries.
 */
export async function choosePorts<K extends string>(
  names: readonly K[],
  requested: Partial<Record<K, number | undefined>>,
  saved: ComponentState,
  reuseSaved: boolean,
  pickPorts: (count: number) => Promise<number[]> = freePorts,
): Promise<Record<K, number>> {
  const chosen: Partial<Record<K, number>> = {};
  const missing: K[] = [];
  for (const name of names) {
    const want = requested[name];
    const old = saved[`${name}Port`];
    if (want !== undefined && want !== 0) {
      chosen[name] = want;
    } else if (reuseSaved && typeof old === 'number' && (await isPortFree(old))) {
      chosen[name] = old;
    } else {
      missing.push(name);
    }
  }
  const fresh = missing.length === 0 ? [] : await pickPorts(missing.length + names.length);
  const taken = new Set(Object.values(chosen));
  const candidates = fresh.filter((port) => !taken.has(port));
  for (const name of missing) {
    const port = candidates.shift();
    if (port === undefined) throw new Error('Ran out of free ports');
    chosen[name] = port;
  }
  return chosen as Record<K, number>;
}

export function portsState<K extends string>(ports: Record<K, number>): ComponentState {
  const state: ComponentState = {};
  for (const [name, port] of Object.entries<number>(ports)) state[`${name}Port`] = port;
  return state;
}
