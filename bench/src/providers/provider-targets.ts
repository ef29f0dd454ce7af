/**
 * The providers under test: each one's in-process simulator (its VMs real sandbox machines), the
 * production driver pointed at it, where machines go, and how to read a VM's machine id from the
 * simulator's own view (labels, tags or Proxmox tags and description).
 */
import { join } from 'node:path';
import { DigitalOceanDriver } from '@fedops/provisioner/dist/drivers/digitalocean/digitalocean.driver';
import { HetznerDriver } from '@fedops/provisioner/dist/drivers/hetzner/hetzner.driver';
import { ProxmoxDriver } from '@fedops/provisioner/dist/drivers/proxmox/proxmox.driver';
import { labelsFromDescription } from '@fedops/provisioner/dist/drivers/proxmox/proxmox-labels';
import {
  OWNER_LABELS,
  type MachineSpec,
  type ResourceProviderDriver,
} from '@fedops/provisioner/dist/drivers/resource-provider.driver';
import {
  startDigitalOceanSimulator,
  startHetznerSimulator,
  startProxmoxSimulator,
  type RunningSimulator,
} from '@fedops/simulators';

export const PROVIDER_KINDS = ['hetzner', 'digitalocean', 'proxmox'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** Sandbox-machine prefixes of the simulators (not `fb`, the deploy benchmark's). */
export const SANDBOX_PREFIXES: Record<ProviderKind, string> = {
  hetzner: 'bphz',
  digitalocean: 'bpdo',
  proxmox: 'bppve',
};

/**
 * A rate limit no run reaches: the benchmark measures what failed calls cost, so only the injected
 * faults may fail a call. (The vendors' own limits would throttle the fault-free run already:
 * DigitalOcean's burst limit is 250 requests a minute, and 50 creates at once make more.)
 */
const UNREACHED_LIMIT = 100_000_000;

export type Placement = Pick<MachineSpec, 'location' | 'image' | 'size' | 'storage' | 'sizing'>;

export interface ProviderTarget {
  kind: ProviderKind;
  sim: RunningSimulator;
  driver: ResourceProviderDriver;
  /** Where the i-th machine of a run goes. */
  placement(index: number): Placement;
  /** The machine id of every VM the simulator holds (undefined: the VM carries none). */
  machineIds(): Array<string | undefined>;
  /** What is not the vendor's default, for the report. */
  settings: Record<string, unknown>;
}

export interface TargetOptions {
  /** Folder for the simulator's sandbox-machine state. */
  dir: string;
  bootDelayMs: number;
  /** The drivers' poll interval (the provisioner passes FEDOPS_PROVIDER_POLL_INTERVAL_MS, default 2000). */
  pollIntervalMs: number;
  /** Machines per run, for the simulators' account limits. */
  machines: number;
}

export async function startTarget(kind: ProviderKind, options: TargetOptions): Promise<ProviderTarget> {
  const common = {
    stateDir: join(options.dir, kind),
    namePrefix: SANDBOX_PREFIXES[kind],
    bootDelayMs: options.bootDelayMs,
  };
  switch (kind) {
    case 'hetzner': {
      const rateLimit = { limit: UNREACHED_LIMIT };
      const sim = await startHetznerSimulator({ ...common, rateLimit });
      return {
        kind,
        sim,
        driver: new HetznerDriver({
          endpoint: sim.url,
          token: sim.credentials['token'] ?? '',
          pollIntervalMs: options.pollIntervalMs,
          activation: 'sandbox-standin',
        }),
        placement: () => ({
          location: 'fsn1',
          image: 'ubuntu-24.04',
          size: 'cpx11',
          sizing: { vcpus: 2, memoryMiB: 2048, diskGiB: 40 },
        }),
        machineIds: () => sim.vms().map((vm) => vm.labels[OWNER_LABELS.machineId]),
        settings: { ...common, rateLimit, pollIntervalMs: options.pollIntervalMs },
      };
    }
    case 'digitalocean': {
      const limits = {
        rateLimitPerHour: UNREACHED_LIMIT,
        rateLimitPerMinute: UNREACHED_LIMIT,
        dropletLimit: Math.max(100, 2 * options.machines),
      };
      const sim = await startDigitalOceanSimulator({ ...common, ...limits });
      const prefix = `${OWNER_LABELS.machineId}:`;
      return {
        kind,
        sim,
        driver: new DigitalOceanDriver({
          endpoint: sim.url,
          token: sim.credentials['token'] ?? '',
          pollIntervalMs: options.pollIntervalMs,
          activation: 'sandbox-standin',
        }),
        placement: () => ({
          location: 'nyc1',
          image: 'ubuntu-24-04-x64',
          size: 's-1vcpu-1gb',
          sizing: { vcpus: 1, memoryMiB: 1024, diskGiB: 25 },
        }),
        machineIds: () =>
          sim.vms().map((vm) =>
            Object.keys(vm.labels)
              .find((tag) => tag.startsWith(prefix))
              ?.slice(prefix.length),
          ),
        settings: { ...common, ...limits, pollIntervalMs: options.pollIntervalMs },
      };
    }
    case 'proxmox': {
      // Proxmox VE has no API rate limit (its `rate-limit` fault is rendered as a 503).
      const sim = await startProxmoxSimulator(common);
      const prefix = `${OWNER_LABELS.machineId}.`;
      return {
        kind,
        sim,
        driver: new ProxmoxDriver({
          endpoint: sim.url,
          tokenId: sim.credentials.tokenId,
          tokenSecret: sim.credentials.tokenSecret,
          storage: 'cephpool',
          template: 9000,
          pollIntervalMs: options.pollIntervalMs,
        }),
        // The template is on pve1; every other machine is cloned to pve2 (shared storage, `target`).
        placement: (index) => ({
          location: index % 2 === 0 ? 'pve1' : 'pve2',
          image: '9000',
          storage: 'cephpool',
          sizing: { vcpus: 1, memoryMiB: 1024, diskGiB: 8 },
        }),
        // Tags once the VM is configured; before that (a clone just made) only its description says.
        machineIds: () =>
          sim
            .proxmoxVms()
            .filter((vm) => !vm.template)
            .map(
              (vm) =>
                vm.tags.find((tag) => tag.startsWith(prefix))?.slice(prefix.length) ??
                labelsFromDescription(vm.description)[OWNER_LABELS.machineId],
            ),
        settings: { ...common, pollIntervalMs: options.pollIntervalMs },
      };
    }
  }
}
