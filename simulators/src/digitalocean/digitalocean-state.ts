import { randomBytes, randomUUID } from 'node:crypto';
import type { VmIdentity } from '../common/sandbox-vms';
import {
  imageJson,
  regionJson,
  sizeJson,
  type ImageEntry,
  type RegionEntry,
  type SizeEntry,
} from './digitalocean-catalog';

/**
 * What the simulated account holds, in memory; with a `stateFile` it is saved after every change and
 * loaded again at start (digitalocean-state-file.ts).
 */

export const DROPLET_STATUSES = ['new', 'active', 'off', 'archive'] as const;
export type DropletStatus = (typeof DROPLET_STATUSES)[number];
export const ACTION_STATUSES = ['in-progress', 'completed', 'errored'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export interface Droplet {
  id: number;
  name: string;
  /** The sandbox machine's label: unique per droplet, so a restarted simulator never adopts an old machine. */
  machineLabel: string;
  region: RegionEntry;
  size: SizeEntry;
  /** GiB; stays as it was when a resize leaves the disk alone. */
  disk: number;
  image: ImageEntry;
  status: DropletStatus;
  locked: boolean;
  createdAt: string;
  tags: string[];
  features: string[];
  vpcUuid: string;
  /** Public address and gateway once the machine exists (kept while the droplet is off, as DO keeps its IP). */
  address?: string;
  gateway?: string;
  /** Who may log in and the host key, from the request's SSH keys and cloud-init user data. */
  identity: VmIdentity;
}

export interface Action {
  id: number;
  status: ActionStatus;
  type: string;
  startedAt: string;
  completedAt: string | null;
  resourceId: number;
  resourceType: 'droplet';
  region: RegionEntry;
}

export interface SshKey {
  id: number;
  name: string;
  fingerprint: string;
  publicKey: string;
}

/** The id counters, saved with the state. */
export interface IdCounters {
  nextDropletId: number;
  nextActionId: number;
  nextKeyId: number;
}

export class DigitalOceanState {
  readonly droplets = new Map<number, Droplet>();
  readonly actions = new Map<number, Action>();
  readonly keys = new Map<number, SshKey>();
  /** Canonical tag names by lower-case name ("tag names are case stable"). */
  readonly tags = new Map<string, string>();
  readonly vpcs = new Map<string, string>();
  /** The account's and its team's ids (`GET /v2/account`). */
  account = { uuid: randomBytes(20).toString('hex'), teamUuid: randomBytes(20).toString('hex') };
  // Ids look like the real ones (large, increasing) and differ between simulator runs.
  private nextDropletId = 480_000_000 + Math.floor(Math.random() * 10_000_000);
  private nextActionId = 2_600_000_000 + Math.floor(Math.random() * 10_000_000);
  private nextKeyId = 45_000_000 + Math.floor(Math.random() * 1_000_000);

  counters(): IdCounters {
    return { nextDropletId: this.nextDropletId, nextActionId: this.nextActionId, nextKeyId: this.nextKeyId };
  }

  /** Takes saved counters, never going back below an id already held. */
  setCounters(counters: IdCounters): void {
    const above = (ids: Iterable<number>, floor: number): number => {
      let next = floor;
      for (const id of ids) next = Math.max(next, id + 1);
      return next;
    };
    this.nextDropletId = above(this.droplets.keys(), counters.nextDropletId);
    this.nextActionId = above(this.actions.keys(), counters.nextActionId);
    this.nextKeyId = above(this.keys.keys(), counters.nextKeyId);
  }

  dropletId(): number {
    return this.nextDropletId++;
  }

  keyId(): number {
    return this.nextKeyId++;
  }

  /** The default VPC of a region, made on first use. */
  vpcOf(region: RegionEntry): string {
    let uuid = this.vpcs.get(region.slug);
    if (uuid === undefined) {
      uuid = randomUUID();
      this.vpcs.set(region.slug, uuid);
    }
    return uuid;
  }

  /** The canonical spelling of a tag, creating the tag when it is new. */
  ensureTag(name: string): string {
    const canonical = this.tags.get(name.toLowerCase());
    if (canonical !== undefined) return canonical;
    this.tags.set(name.toLowerCase(), name);
    return name;
  }

  newAction(droplet: Droplet, type: string, status: ActionStatus = 'in-progress'): Action {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const action: Action = {
      id: this.nextActionId++,
      status,
      type,
      startedAt: now,
      completedAt: status === 'in-progress' ? null : now,
      resourceId: droplet.id,
      resourceType: 'droplet',
      region: droplet.region,
    };
    this.actions.set(action.id, action);
    return action;
  }

  /** The droplet's action still running, if any ("Droplet already has a pending event."). */
  pendingAction(droplet: Droplet): Action | undefined {
    for (const action of this.actions.values()) {
      if (action.resourceId === droplet.id && action.status === 'in-progress') return action;
    }
    return undefined;
  }

  actionsOf(dropletId: number): Action[] {
    // Newest first, as the API lists a droplet's actions.
    return [...this.actions.values()].filter((a) => a.resourceId === dropletId).sort((a, b) => b.id - a.id);
  }

  findKey(ref: string | number): SshKey | undefined {
    if (typeof ref === 'number' || /^\d+$/.test(ref)) return this.keys.get(Number(ref));
    for (const key of this.keys.values()) if (key.fingerprint === ref) return key;
    return undefined;
  }

  dropletsTagged(tag: string): Droplet[] {
    return [...this.droplets.values()].filter((d) => d.tags.includes(tag));
  }
}

export function finishAction(action: Action, status: 'completed' | 'errored'): void {
  action.status = status;
  action.completedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function dropletJson(d: Droplet): Record<string, unknown> {
  const hasNetwork = d.address !== undefined && d.status !== 'new';
  return {
    id: d.id,
    name: d.name,
    memory: d.size.memory,
    vcpus: d.size.vcpus,
    disk: d.disk,
    disk_info: [{ type: 'local', size: { amount: d.disk, unit: 'gib' } }],
    locked: d.locked,
    status: d.status,
    kernel: null,
    created_at: d.createdAt,
    features: d.features,
    backup_ids: [],
    next_backup_window: null,
    snapshot_ids: [],
    image: imageJson(d.image),
    volume_ids: [],
    size: sizeJson(d.size),
    size_slug: d.size.slug,
    networks: {
      v4: hasNetwork
        ? [{ ip_address: d.address, netmask: '255.255.255.252', gateway: d.gateway, type: 'public' }]
        : [],
      v6: [],
    },
    region: regionJson(d.region),
    tags: d.tags,
    vpc_uuid: d.vpcUuid,
  };
}

export function actionJson(a: Action): Record<string, unknown> {
  return {
    id: a.id,
    status: a.status,
    type: a.type,
    started_at: a.startedAt,
    completed_at: a.completedAt,
    resource_id: a.resourceId,
    resource_type: a.resourceType,
    region: regionJson(a.region),
    region_slug: a.region.slug,
  };
}

export function keyJson(k: SshKey): Record<string, unknown> {
  return { id: k.id, fingerprint: k.fingerprint, public_key: k.publicKey, name: k.name };
}

export function tagJson(name: string, droplets: Droplet[], origin: string): Record<string, unknown> {
  const last = droplets.at(-1);
  const dropletStats: Record<string, unknown> = { count: droplets.length };
  if (last) dropletStats['last_tagged_uri'] = `${origin}/v2/droplets/${last.id}`;
  return {
    name,
    resources: {
      count: droplets.length,
      ...(last ? { last_tagged_uri: `${origin}/v2/droplets/${last.id}` } : {}),
      droplets: dropletStats,
      images: { count: 0 },
      volumes: { count: 0 },
      volume_snapshots: { count: 0 },
      databases: { count: 0 },
    },
  };
}
