import {
  checkUnique,
  readVmIdentity,
  SimulatorStateFile,
  type StateFields,
} from '../common/simulator-state-file';
import {
  findImage,
  findRegion,
  findSize,
  type ImageEntry,
  type RegionEntry,
  type SizeEntry,
} from './digitalocean-catalog';
import {
  ACTION_STATUSES,
  DROPLET_STATUSES,
  finishAction,
  type Action,
  type DigitalOceanState,
  type Droplet,
  type IdCounters,
  type SshKey,
} from './digitalocean-state';

/**
 * The DigitalOcean simulator's state file (see SimulatorStateFile): droplets, actions, SSH keys,
 * tags, default VPCs, the account's ids and the id counters. Catalogue entries are saved by slug
 * (region, size) or id (image) and looked up again on load. Not saved: rate-limit windows (a restart
 * forgets them) and faults.
 */
export const DIGITALOCEAN_STATE_VERSION = 1;

export interface DigitalOceanStateDoc extends IdCounters {
  account: { uuid: string; teamUuid: string };
  droplets: DropletDoc[];
  actions: ActionDoc[];
  keys: SshKey[];
  /** Canonical tag names. */
  tags: string[];
  /** Default VPC uuid by region slug. */
  vpcs: Record<string, string>;
}

interface DropletDoc extends Omit<Droplet, 'region' | 'size' | 'image'> {
  region: string;
  size: string;
  imageId: number;
}

interface ActionDoc extends Omit<Action, 'region'> {
  region: string;
}

export function digitalOceanStateFile(path: string): SimulatorStateFile<DigitalOceanStateDoc> {
  return new SimulatorStateFile({
    path,
    kind: 'digitalocean',
    version: DIGITALOCEAN_STATE_VERSION,
    parse: parseDigitalOceanState,
  });
}

export function snapshotDigitalOcean(state: DigitalOceanState): DigitalOceanStateDoc {
  return {
    ...state.counters(),
    account: { ...state.account },
    droplets: [...state.droplets.values()].map(({ region, size, image, ...rest }) => ({
      ...rest,
      tags: [...rest.tags],
      region: region.slug,
      size: size.slug,
      imageId: image.id,
    })),
    actions: [...state.actions.values()].map(({ region, ...rest }) => ({ ...rest, region: region.slug })),
    keys: [...state.keys.values()].map((k) => ({ ...k })),
    tags: [...state.tags.values()],
    vpcs: Object.fromEntries(state.vpcs),
  };
}

/**
 * Puts a loaded state into `state`. An event that was in progress when the simulator stopped ends
 * `errored` (its work died with the process; a create's droplet is then a broken `new` one, which
 * the clients delete, as after a failed create on DigitalOcean), and every droplet is unlocked. The
 * machines are brought in line afterwards by DropletEvents.restoreMachines.
 */
export function restoreDigitalOcean(doc: DigitalOceanStateDoc, state: DigitalOceanState): void {
  state.droplets.clear();
  state.actions.clear();
  state.keys.clear();
  state.tags.clear();
  state.vpcs.clear();
  for (const { region, size, imageId, ...rest } of doc.droplets) {
    state.droplets.set(rest.id, {
      ...rest,
      region: catalogued(findRegion(region)),
      size: catalogued(findSize(size)),
      image: catalogued(findImage(imageId)),
    });
  }
  for (const { region, ...rest } of doc.actions) {
    const action: Action = { ...rest, region: catalogued(findRegion(region)) };
    if (action.status === 'in-progress') finishAction(action, 'errored');
    state.actions.set(action.id, action);
  }
  for (const key of doc.keys) state.keys.set(key.id, key);
  for (const tag of doc.tags) state.tags.set(tag.toLowerCase(), tag);
  for (const [region, uuid] of Object.entries(doc.vpcs)) state.vpcs.set(region, uuid);
  state.account = { ...doc.account };
  state.setCounters(doc);
}

export function parseDigitalOceanState(fields: StateFields): DigitalOceanStateDoc {
  const dropletFields = fields.objects('droplets');
  const droplets = dropletFields.map(parseDroplet);
  checkUnique(
    dropletFields.map((f, i) => [f, droplets[i]?.id] as const),
    'id',
  );
  checkUnique(
    dropletFields.map((f, i) => [f, droplets[i]?.machineLabel] as const),
    'machineLabel',
  );
  const actionFields = fields.objects('actions');
  const actions = actionFields.map(parseAction);
  checkUnique(
    actionFields.map((f, i) => [f, actions[i]?.id] as const),
    'id',
  );
  const keyFields = fields.objects('keys');
  const keys = keyFields.map((k): SshKey => ({
    id: k.integer('id'),
    name: k.string('name'),
    fingerprint: k.string('fingerprint'),
    publicKey: k.string('publicKey'),
  }));
  checkUnique(
    keyFields.map((f, i) => [f, keys[i]?.id] as const),
    'id',
  );
  const account = fields.object('account');
  return {
    nextDropletId: fields.integer('nextDropletId'),
    nextActionId: fields.integer('nextActionId'),
    nextKeyId: fields.integer('nextKeyId'),
    account: { uuid: account.string('uuid'), teamUuid: account.string('teamUuid') },
    droplets,
    actions,
    keys,
    tags: fields.strings('tags'),
    vpcs: fields.stringMap('vpcs'),
  };
}

function parseDroplet(f: StateFields): DropletDoc {
  const region = f.string('region');
  const size = f.string('size');
  const imageId = f.integer('imageId');
  if (region !== '' && findRegion(region) === undefined) f.problem('region', `no region ${region}`);
  if (size !== '' && findSize(size) === undefined) f.problem('size', `no size ${size}`);
  if (findImage(imageId) === undefined) f.problem('imageId', `no image ${imageId}`);
  const address = f.optionalString('address');
  const gateway = f.optionalString('gateway');
  return {
    id: f.integer('id'),
    name: f.string('name'),
    machineLabel: f.string('machineLabel', /^[a-z0-9][a-z0-9-]*$/),
    region,
    size,
    disk: f.integer('disk'),
    imageId,
    status: f.oneOf('status', DROPLET_STATUSES),
    locked: f.boolean('locked'),
    createdAt: f.date('createdAt'),
    tags: f.strings('tags'),
    features: f.strings('features'),
    vpcUuid: f.string('vpcUuid'),
    ...(address !== undefined ? { address } : {}),
    ...(gateway !== undefined ? { gateway } : {}),
    identity: readVmIdentity(f.object('identity')),
  };
}

function parseAction(f: StateFields): ActionDoc {
  const region = f.string('region');
  if (region !== '' && findRegion(region) === undefined) f.problem('region', `no region ${region}`);
  return {
    id: f.integer('id'),
    status: f.oneOf('status', ACTION_STATUSES),
    type: f.string('type'),
    startedAt: f.date('startedAt'),
    completedAt: f.nullableDate('completedAt'),
    resourceId: f.integer('resourceId'),
    resourceType: f.oneOf('resourceType', ['droplet'] as const),
    region,
  };
}

function catalogued<T extends RegionEntry | SizeEntry | ImageEntry>(entry: T | undefined): T {
  if (entry === undefined) throw new Error('a catalogue entry vanished after validation');
  return entry;
}
