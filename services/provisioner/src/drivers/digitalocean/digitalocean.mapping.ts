import { createHash } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { FedopsError } from '@fedops/domain';
import {
  OWNER_LABELS,
  type DriverMachine,
  type DriverMachineStatus,
  type MachineSizing,
  type MachineSpec,
} from '../resource-provider.driver';

/** The parts of DigitalOcean's objects the driver reads (openapi `droplets/models/droplet.yml` ...). */
export interface DoDroplet {
  id: number;
  name: string;
  memory: number;
  vcpus: number;
  disk: number;
  status: string;
  locked?: boolean;
  size_slug: string;
  region: { slug: string };
  tags?: string[] | null;
  networks?: { v4?: Array<{ ip_address: string; type: string }> };
  created_at?: string;
}

export interface DoAction {
  id: number;
  status: 'in-progress' | 'completed' | 'errored';
  type: string;
  resource_id: number | null;
}

export interface DoSize {
  slug: string;
  memory: number;
  vcpus: number;
  disk: number;
  price_monthly: number;
  regions: string[];
  available: boolean;
}

export interface DoRegion {
  slug: string;
  name: string;
  available: boolean;
}

/** DigitalOcean tag names: letters, digits, colons, dashes and underscores, at most 255. */
const TAG = /^[A-Za-z0-9_:-]{1,255}$/;
const LABEL_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Owner labels as DigitalOcean tags `key:value` (tags have no values; the key ends at the first
 * colon). Keys may not hold a colon; values may.
 */
export function labelsToTags(labels: Record<string, string>): string[] {
  const problems: Array<{ field: string; message: string }> = [];
  const tags = Object.entries(labels).map(([key, value]) => {
    const tag = `${key}:${value}`;
    if (!LABEL_KEY.test(key) || !TAG.test(tag)) {
      problems.push({
        field: `labels.${key}`,
        message:
          'must make a DigitalOcean tag `key:value` of letters, digits, `_`, `-` (and `:` in the value), at most 255',
      });
    }
    return tag;
  });
  if (problems.length > 0) throw FedopsError.validation(problems);
  return tags;
}

/** Labels read back from tags: every `key:value` tag (tags without a colon are not labels). */
export function tagsToLabels(tags: readonly string[] | null | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const tag of tags ?? []) {
    const colon = tag.indexOf(':');
    if (colon > 0) labels[tag.slice(0, colon)] = tag.slice(colon + 1);
  }
  return labels;
}

/** The tag a create is found by: the idempotency key, since droplet names are not unique. */
export function machineTag(machineId: string): string {
  return `${OWNER_LABELS.machineId}:${machineId}`;
}

/**
 * The `#cloud-config` user data of a droplet: the pinned host key (`ssh_keys`) and root's keys
 * (`ssh_authorized_keys`), merged with the spec's own user data. Cloud-config user data is merged key
 * by key (its authorized keys kept beside ours, its host keys replaced by the pinned one); a script
 * (`#!`) is written to a file and run by `runcmd`. Other formats are refused.
 */
export function buildCloudConfig(
  spec: Pick<MachineSpec, 'hostKey' | 'sshAuthorizedKeys' | 'userData'>,
): string {
  let config: Record<string, unknown> = {};
  const extra = spec.userData?.trim() ? spec.userData : undefined;
  if (extra?.startsWith('#cloud-config')) {
    const doc: unknown = parse(extra);
    if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) {
      throw FedopsError.validation([{ field: 'userData', message: 'cloud-config must be a YAML mapping' }]);
    }
    config = { ...((doc as Record<string, unknown> | null) ?? {}) };
  } else if (extra?.startsWith('#!')) {
    const path = '/var/lib/fedops/user-data';
    config['write_files'] = [{ path, permissions: '0700', content: extra }];
    config['runcmd'] = [[path]];
  } else if (extra !== undefined) {
    throw FedopsError.validation([
      { field: 'userData', message: 'must be a #cloud-config document or a script starting with #!' },
    ]);
  }
  const theirs = Array.isArray(config['ssh_authorized_keys'])
    ? (config['ssh_authorized_keys'] as unknown[]).filter((k): k is string => typeof k === 'string')
    : [];
  config['ssh_authorized_keys'] = [...new Set([...spec.sshAuthorizedKeys.map((k) => k.trim()), ...theirs])];
  config['ssh_keys'] = {
    ed25519_private: spec.hostKey.privateKey.endsWith('\n')
      ? spec.hostKey.privateKey
      : `${spec.hostKey.privateKey}\n`,
    ed25519_public: publicKeyLine(spec.hostKey.publicKey),
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}

/** `type base64` of a public key line, without its comment. */
export function publicKeyLine(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(' ');
}

/** DigitalOcean's SSH key fingerprint (MD5 of the key blob, colon-separated hex); undefined when not a key line. */
export function sshFingerprint(line: string): string | undefined {
  const data = line.trim().split(/\s+/)[1];
  if (data === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return undefined;
  const hex = createHash('md5').update(Buffer.from(data, 'base64')).digest('hex');
  return hex.match(/../g)?.join(':');
}

export function machineStatus(status: string): DriverMachineStatus {
  switch (status) {
    case 'new':
      return 'creating';
    case 'active':
      return 'running';
    case 'off':
      return 'stopped';
    case 'archive':
      return 'deleting';
    default:
      return 'unknown';
  }
}

export function publicAddress(droplet: DoDroplet): string | undefined {
  return droplet.networks?.v4?.find((n) => n.type === 'public')?.ip_address;
}

export function toDriverMachine(droplet: DoDroplet): DriverMachine {
  const address = publicAddress(droplet);
  return {
    providerId: String(droplet.id),
    name: droplet.name,
    status: machineStatus(droplet.status),
    labels: tagsToLabels(droplet.tags),
    location: droplet.region.slug,
    sizing: { vcpus: droplet.vcpus, memoryMiB: droplet.memory, diskGiB: droplet.disk },
    ...(address !== undefined ? { address } : {}),
  };
}

/**
 * The cheapest size sold in `region` that fits `sizing` and keeps at least `currentDiskGiB` (a
 * droplet's disk never shrinks); ties go to less memory, then less disk.
 */
export function smallestFittingSize(
  sizes: readonly DoSize[],
  region: string,
  sizing: MachineSizing,
  currentDiskGiB = 0,
): DoSize | undefined {
  const disk = Math.max(sizing.diskGiB, currentDiskGiB);
  return sizes
    .filter(
      (s) =>
        s.available &&
        s.regions.includes(region) &&
        s.vcpus >= sizing.vcpus &&
        s.memory >= sizing.memoryMiB &&
        s.disk >= disk,
    )
    .sort((a, b) => a.price_monthly - b.price_monthly || a.memory - b.memory || a.disk - b.disk)[0];
}
