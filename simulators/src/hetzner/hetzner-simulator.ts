import { randomBytes } from 'node:crypto';
import { FaultBook } from '../common/faults';
import { SimRouter } from '../common/http-router';
import { SandboxVms } from '../common/sandbox-vms';
import {
  addControlRoutes,
  simulatorCloser,
  type RunningSimulator,
  type SimulatedVm,
  type SimulatorOptions,
} from '../common/simulator';
import { ActionBook } from './hetzner-actions';
import { HetznerHttp } from './hetzner-http';
import { addHetznerRoutes } from './hetzner-routes';
import { HetznerServers, SshKeyBook } from './hetzner-servers';
import { hetznerStateFile, restoreHetzner, snapshotHetzner } from './hetzner-state-file';
import type { RateLimitOptions } from './rate-limit';

export interface HetznerSimulatorOptions extends SimulatorOptions {
  /** The Project's rate limit (default 3600 requests per hour, one regained per second). */
  rateLimit?: RateLimitOptions;
  /** How long power, type-change and delete actions run (default 500 ms). */
  actionDelayMs?: number;
}

/**
 * A Hetzner Cloud API (`/v1`) on loopback whose servers are real sandbox machines: Bearer tokens,
 * the `{error: {code, message, details}}` envelope, `X-Correlation-Id` and `RateLimit-*` headers on
 * every answer with a real token bucket, paged lists with `meta.pagination` and `Link`, label
 * selectors, SSH keys with MD5 fingerprints, servers and their actions, and the shared faults
 * rendered the Hetzner way (see HetznerHttp and the `/_simulator/` control routes).
 *
 * With `stateFile`, the Project (servers, SSH keys, actions, id counters) survives a restart: see
 * HetznerServers.restore and ActionBook.restore for what a restart does to actions in flight (they
 * end in `error`, their servers are left `off`) and to the machines (running ones are resumed).
 */
export async function startHetznerSimulator(options: HetznerSimulatorOptions): Promise<RunningSimulator> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const faults = new FaultBook(options.random);
  const http = new HetznerHttp(token, faults, options.rateLimit);
  const router = new SimRouter(http.notFound, http.internalError);
  // The simulator runs the boot delay itself: the machine must exist (and have its address) first.
  const vms = new SandboxVms({ ...options, bootDelayMs: 0 });
  const actions = new ActionBook();
  const servers = new HetznerServers(vms, actions, {
    bootDelayMs: options.bootDelayMs ?? 1500,
    actionDelayMs: options.actionDelayMs ?? 500,
  });
  const sshKeys = new SshKeyBook();
  const stateFile = options.stateFile === undefined ? undefined : hetznerStateFile(options.stateFile);
  const saved = await stateFile?.load();
  if (saved !== undefined) await restoreHetzner(saved, servers, actions, sshKeys);
  const changed = (): void => stateFile?.changed();
  stateFile?.attach(() => snapshotHetzner(servers, actions, sshKeys));
  actions.onChange = changed;
  servers.onChange = changed;
  // What the restore changed (interrupted actions, servers left off) is on disk before anyone asks.
  if (saved !== undefined) changed();

  const listVms = (): SimulatedVm[] =>
    servers.list().map((s) => ({
      id: String(s.id),
      name: s.name,
      labels: { ...s.labels },
      status: s.status,
      address: s.ipv4.ip,
    }));

  router.use(http.gate).use(http.faultGate);
  addControlRoutes(router, faults, listVms);
  addHetznerRoutes({ router, http, faults, actions, servers, sshKeys, changed });

  const { server, url } = await router.listen(options.port ?? 0).catch((err: unknown) => {
    servers.close();
    throw err;
  });
  return {
    kind: 'hetzner',
    url: `${url}/v1`,
    credentials: { token },
    faults,
    vms: listVms,
    close: simulatorCloser({ server, machines: vms, stateFile, stopWork: () => servers.close() }),
  };
}
