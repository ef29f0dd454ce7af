import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProviderRegistration } from '@fedops/contracts';
import {
  startDigitalOceanSimulator,
  startHetznerSimulator,
  startProxmoxSimulator,
  simulatorNamePrefix,
  type RunningSimulator,
  type SimulatorKind,
} from '@fedops/simulators';

/** The simulators' secrets, kept across starts so the providers registered with them stay valid. */
interface SimulatorSecrets {
  proxmox: string;
  hetzner: string;
  digitalocean: string;
}

export interface SimulatedProvider {
  kind: SimulatorKind;
  simulator: RunningSimulator;
  registration: ProviderRegistration;
  /** What a person or script authenticates with, for the banner (the token is printed: a local simulator's). */
  token: string;
  /** The file holding the token (0600), for the endpoints file. */
  secretsFile: string;
}

const PLANS = {
  small: { vcpus: 2, memoryMiB: 2048, diskGiB: 40 },
  medium: { vcpus: 4, memoryMiB: 8192, diskGiB: 80 },
};

/**
 * `npm start`'s simulated Proxmox VE, Hetzner Cloud and DigitalOcean (simulators/), each VM a real
 * sandbox machine, with the registration each becomes a provider by. Each simulator keeps its state
 * (VMs, servers and droplets with their ids, names, labels or tags, configs or sizes, statuses and
 * addresses; SSH keys; tasks or actions; id counters) in `<dataDir>/simulators/<kind>-state.json`,
 * so a restarted launcher finds the VMs it made, running ones still answering SSH with the same
 * address and host key; tasks or actions in flight at the restart end in error.
 */
export async function startSimulatedProviders(options: {
  dataDir: string;
  /** The platform's own sandbox prefix; the simulators' are made from it (simulatorNamePrefix). */
  sandboxPrefix: string;
  ports?: { proxmox: number; hetzner: number; digitalocean: number };
  subnet?: string;
  bootDelayMs: number;
}): Promise<SimulatedProvider[]> {
  const dir = join(options.dataDir, 'simulators');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const secretsFile = join(dir, 'secrets.json');
  const secrets = await loadSecrets(secretsFile);
  const common = (kind: SimulatorKind) => ({
    stateDir: join(dir, kind),
    namePrefix: simulatorNamePrefix(options.sandboxPrefix, kind),
    bootDelayMs: options.bootDelayMs,
    ...(options.subnet !== undefined ? { subnet: options.subnet } : {}),
    ...(options.ports !== undefined ? { port: options.ports[kind] } : {}),
  });
  const started: SimulatedProvider[] = [];
  try {
    const proxmox = await startProxmoxSimulator({
      ...common('proxmox'),
      token: secrets.proxmox,
      stateFile: join(dir, 'proxmox-state.json'),
    });
    started.push({
      kind: 'proxmox',
      simulator: proxmox,
      token: `PVEAPIToken=${proxmox.credentials.tokenId}=${proxmox.credentials.tokenSecret}`,
      secretsFile,
      registration: {
        name: 'pve-sim',
        kind: 'proxmox',
        endpoint: proxmox.url,
        credentials: { tokenId: proxmox.credentials.tokenId, tokenSecret: proxmox.credentials.tokenSecret },
        locations: ['pve1', 'pve2'],
        plans: [
          { name: 'small', ...PLANS.small },
          { name: 'medium', ...PLANS.medium },
        ],
        image: '9000',
        settings: { storage: 'cephpool' },
        quotas: { machines: 50 },
      },
    });
    const hetzner = await startHetznerSimulator({
      ...common('hetzner'),
      token: secrets.hetzner,
      stateFile: join(dir, 'hetzner-state.json'),
    });
    started.push({
      kind: 'hetzner',
      simulator: hetzner,
      token: secrets.hetzner,
      secretsFile,
      registration: {
        name: 'hetzner-sim',
        kind: 'hetzner',
        endpoint: hetzner.url,
        credentials: { token: secrets.hetzner },
        locations: ['fsn1', 'nbg1'],
        plans: [
          { name: 'small', vcpus: 2, memoryMiB: 2048, diskGiB: 40, size: 'cpx11' },
          { name: 'medium', vcpus: 4, memoryMiB: 8192, diskGiB: 160, size: 'cpx31' },
        ],
        image: 'ubuntu-24.04',
        quotas: { machines: 50 },
      },
    });
    const digitalocean = await startDigitalOceanSimulator({
      ...common('digitalocean'),
      token: secrets.digitalocean,
      stateFile: join(dir, 'digitalocean-state.json'),
    });
    started.push({
      kind: 'digitalocean',
      simulator: digitalocean,
      token: secrets.digitalocean,
      secretsFile,
      registration: {
        name: 'do-sim',
        kind: 'digitalocean',
        endpoint: digitalocean.url,
        credentials: { token: secrets.digitalocean },
        locations: ['fra1', 'ams3'],
        plans: [
          { name: 'small', vcpus: 1, memoryMiB: 2048, diskGiB: 50, size: 's-1vcpu-2gb' },
          { name: 'medium', vcpus: 4, memoryMiB: 8192, diskGiB: 160, size: 's-4vcpu-8gb' },
        ],
        image: 'ubuntu-24-04-x64',
        quotas: { machines: 50 },
      },
    });
  } catch (err) {
    await Promise.allSettled(started.map((s) => s.simulator.close()));
    throw err;
  }
  return started;
}

async function loadSecrets(file: string): Promise<SimulatorSecrets> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<SimulatorSecrets>;
    if (
      typeof parsed.proxmox === 'string' &&
      typeof parsed.hetzner === 'string' &&
      typeof parsed.digitalocean === 'string'
    ) {
      return parsed as SimulatorSecrets;
    }
  } catch {
    // First start (or an unreadable file): new secrets below.
  }
  const secrets: SimulatorSecrets = {
    proxmox: randomUUID(),
    hetzner: randomBytes(32).toString('hex'),
    digitalocean: `dop_v1_${randomBytes(32).toString('hex')}`,
  };
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

/**
 * Registers each simulated provider through the public API as ops staff (idempotent: one already
 * registered under its name is left as it is). Returns what each answered.
 */
export async function registerSimulatedProviders(
  apiUrl: string,
  opsToken: string,
  providers: readonly SimulatedProvider[],
): Promise<Array<{ name: string; outcome: 'registered' | 'already registered' }>> {
  const headers = { authorization: `Bearer ${opsToken}`, 'content-type': 'application/json' };
  const outcomes: Array<{ name: string; outcome: 'registered' | 'already registered' }> = [];
  for (const { registration } of providers) {
    const existing = await fetch(`${apiUrl}/v1/providers/${registration.name}`, { headers });
    if (existing.ok) {
      outcomes.push({ name: registration.name, outcome: 'already registered' });
      continue;
    }
    const created = await fetch(`${apiUrl}/v1/providers`, {
      method: 'POST',
      headers,
      body: JSON.stringify(registration),
    });
    if (!created.ok) {
      throw new Error(
        `Registering provider ${registration.name} failed: ${created.status} ${await created.text()}`,
      );
    }
    outcomes.push({ name: registration.name, outcome: 'registered' });
  }
  return outcomes;
}
