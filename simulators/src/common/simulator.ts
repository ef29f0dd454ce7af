import type { Server } from 'node:http';
import { FaultRuleError, type FaultBook, type FaultRule } from './faults';
import type { SimRouter } from './http-router';

export const SIMULATOR_KINDS = ['proxmox', 'hetzner', 'digitalocean'] as const;
export type SimulatorKind = (typeof SIMULATOR_KINDS)[number];

const PREFIX_SUFFIX: Record<SimulatorKind, string> = { proxmox: 'px', hetzner: 'hz', digitalocean: 'do' };

/**
 * The namespace prefix of a simulator's machines beside a platform whose own sandbox prefix is
 * `platformPrefix` (`fo` → `fopx`, `fohz`, `fodo`): platforms on one host never share one, and
 * whoever cleans up a platform's machines knows its simulators' too.
 */
export function simulatorNamePrefix(platformPrefix: string, kind: SimulatorKind): string {
  return `${platformPrefix.slice(0, 4)}${PREFIX_SUFFIX[kind]}`;
}

export interface SimulatorOptions {
  /** Where the simulator's sandbox machines keep their state (absolute). */
  stateDir: string;
  /** 2-6 lower-case letters or digits naming its network namespaces; unique per simulator on a host. */
  namePrefix: string;
  /** IPv4 /16 the machines take addresses from (default: the sandbox default, shared safely). */
  subnet?: string;
  /** How long a new VM stays booting after its sandbox machine exists (default 1500 ms). */
  bootDelayMs?: number;
  /** The API token (or Proxmox token secret) the simulator accepts; a random one when absent. */
  token?: string;
  /** 0 (default): a free port. */
  port?: number;
  /** Source of randomness for probabilistic faults (tests pass a seeded one). */
  random?: () => number;
  /**
   * Where the simulator keeps its API state (VMs with their ids, names, labels or tags, sizes,
   * statuses and addresses; SSH keys; actions or tasks; id counters) across restarts, absolute.
   * Loaded at start (a file that is not valid fails the start, naming it), rewritten atomically
   * (0600) after every change and on close. Absent: the state lives in memory only, and a restarted
   * simulator starts empty. See SimulatorStateFile.
   */
  stateFile?: string;
}

/** One VM as the simulator holds it, for tests and benchmarks counting duplicates and orphans. */
export interface SimulatedVm {
  /** The vendor's id (VMID, server id, droplet id) as text. */
  id: string;
  name: string;
  /** Labels, tags (as `tag: ''`) or Proxmox tags, as the vendor stores them. */
  labels: Record<string, string>;
  status: string;
  address: string | undefined;
}

export interface RunningSimulator {
  kind: SimulatorKind;
  /** Base URL a client is pointed at (Proxmox: `http://host:port`, the others include `/v1` or `/v2`). */
  url: string;
  /** What a client authenticates with (Proxmox: `tokenId` and `secret` joined as the header wants). */
  credentials: Record<string, string>;
  faults: FaultBook;
  vms(): SimulatedVm[];
  /**
   * Stops serving and writes the state file (if any). `destroyMachines` also removes every sandbox
   * machine it made, and the state file with them (the VMs it listed are gone).
   */
  close(options?: { destroyMachines?: boolean }): Promise<void>;
}

/**
 * The control routes every simulator serves beside its vendor API, under `/_simulator/` (no auth:
 * the simulators listen on loopback only):
 * - `GET /_simulator/faults`, `POST /_simulator/faults` (a FaultRule; 201 `{id}`), `DELETE /_simulator/faults`
 * - `GET /_simulator/vms`: every VM it holds.
 */
export function addControlRoutes(router: SimRouter, faults: FaultBook, vms: () => SimulatedVm[]): void {
  router
    .add('GET', '/_simulator/faults', () => ({
      status: 200,
      body: { faults: faults.list(), fired: faults.fired },
    }))
    .add('POST', '/_simulator/faults', (req) => {
      try {
        return { status: 201, body: { id: faults.add(req.body as unknown as FaultRule) } };
      } catch (err) {
        if (err instanceof FaultRuleError) return { status: 400, body: { problems: err.problems } };
        throw err;
      }
    })
    .add('DELETE', '/_simulator/faults', () => {
      faults.clear();
      return { status: 204 };
    })
    .add('GET', '/_simulator/vms', () => ({ status: 200, body: { vms: vms() } }));
}

/**
 * A simulator's `close` (see RunningSimulator.close), done once however often it is called: stops
 * serving, lets `stopWork` end what runs in the background (tasks, actions, boots), then writes the
 * state file, or with `destroyMachines` removes it and every machine the simulator made.
 */
export function simulatorCloser(parts: {
  server: Server;
  machines: { destroyAll(): Promise<unknown> };
  stateFile: { close(): Promise<void>; remove(): Promise<void> } | undefined;
  stopWork(): Promise<void> | void;
}): RunningSimulator['close'] {
  let closing: Promise<void> | undefined;
  return (options = {}) => {
    closing ??= (async () => {
      await closeServer(parts.server);
      await parts.stopWork();
      if (options.destroyMachines) {
        await parts.stateFile?.remove();
        await parts.machines.destroyAll();
      } else await parts.stateFile?.close();
    })();
    return closing;
  };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}
