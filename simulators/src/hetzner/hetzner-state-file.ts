import {
  checkUnique,
  readVmIdentity,
  SimulatorStateFile,
  type StateFields,
} from '../common/simulator-state-file';
import type { ActionBook, ActionRecord } from './hetzner-actions';
import { IMAGES, LOCATIONS, SERVER_TYPES } from './hetzner-catalog';
import {
  SERVER_STATUSES,
  type HetznerServers,
  type ServerRecord,
  type SshKeyBook,
  type SshKeyRecord,
} from './hetzner-servers';

/**
 * The Hetzner simulator's state file (see SimulatorStateFile): the Project's servers, SSH keys and
 * actions with the id counters. Catalogue entries (server type, location, image) are saved by id and
 * looked up again on load. What is not saved: rate-limit buckets (a restart refills them) and faults.
 */
export const HETZNER_STATE_VERSION = 1;

export interface HetznerStateDoc {
  instance: string;
  nextServerId: number;
  nextActionId: number;
  nextSshKeyId: number;
  servers: ServerDoc[];
  sshKeys: SshKeyRecord[];
  actions: ActionRecord[];
}

interface ServerDoc extends Omit<ServerRecord, 'serverType' | 'location' | 'image'> {
  serverTypeId: number;
  locationId: number;
  imageId: number;
}

export function hetznerStateFile(path: string): SimulatorStateFile<HetznerStateDoc> {
  return new SimulatorStateFile({
    path,
    kind: 'hetzner',
    version: HETZNER_STATE_VERSION,
    parse: parseHetznerState,
  });
}

export function snapshotHetzner(
  servers: HetznerServers,
  actions: ActionBook,
  sshKeys: SshKeyBook,
): HetznerStateDoc {
  const savedServers = servers.save();
  const savedActions = actions.save();
  return {
    instance: savedServers.instance,
    nextServerId: savedServers.nextId,
    nextActionId: savedActions.nextId,
    nextSshKeyId: sshKeys.nextId,
    servers: savedServers.servers.map(({ serverType, location, image, ...rest }) => ({
      ...rest,
      serverTypeId: serverType.id,
      locationId: location.id,
      imageId: image.id,
    })),
    sshKeys: sshKeys.values().map((k) => ({ ...k, labels: { ...k.labels } })),
    actions: savedActions.actions,
  };
}

/** Puts a loaded state into the simulator's books (actions first: running ones end in error). */
export async function restoreHetzner(
  doc: HetznerStateDoc,
  servers: HetznerServers,
  actions: ActionBook,
  sshKeys: SshKeyBook,
): Promise<void> {
  actions.restore({ nextId: doc.nextActionId, actions: doc.actions });
  sshKeys.records.clear();
  for (const key of doc.sshKeys) sshKeys.records.set(key.id, key);
  sshKeys.nextId = doc.sshKeys.reduce((next, k) => Math.max(next, k.id + 1), doc.nextSshKeyId);
  await servers.restore({
    instance: doc.instance,
    nextId: doc.nextServerId,
    servers: doc.servers.map(({ serverTypeId, locationId, imageId, ...rest }) => ({
      ...rest,
      serverType: byId(SERVER_TYPES, serverTypeId),
      location: byId(LOCATIONS, locationId),
      image: byId(IMAGES, imageId),
    })),
  });
}

export function parseHetznerState(fields: StateFields): HetznerStateDoc {
  const serverFields = fields.objects('servers');
  const servers = serverFields.map(parseServer);
  checkUnique(
    serverFields.map((f, i) => [f, servers[i]?.id] as const),
    'id',
  );
  checkUnique(
    serverFields.map((f, i) => [f, servers[i]?.name] as const),
    'name',
  );
  checkUnique(
    serverFields.map((f, i) => [f, servers[i]?.vmLabel] as const),
    'vmLabel',
  );
  const keyFields = fields.objects('sshKeys');
  const sshKeys = keyFields.map((k): SshKeyRecord => ({
    id: k.integer('id'),
    name: k.string('name'),
    fingerprint: k.string('fingerprint'),
    public_key: k.string('public_key'),
    labels: k.stringMap('labels'),
    created: k.string('created'),
  }));
  checkUnique(
    keyFields.map((f, i) => [f, sshKeys[i]?.id] as const),
    'id',
  );
  const actionFields = fields.objects('actions');
  const actions = actionFields.map(parseAction);
  checkUnique(
    actionFields.map((f, i) => [f, actions[i]?.id] as const),
    'id',
  );
  return {
    instance: fields.string('instance', /^[0-9a-f]{6}$/),
    nextServerId: fields.integer('nextServerId'),
    nextActionId: fields.integer('nextActionId'),
    nextSshKeyId: fields.integer('nextSshKeyId'),
    servers,
    sshKeys,
    actions,
  };
}

function parseServer(f: StateFields): ServerDoc {
  const serverTypeId = f.integer('serverTypeId');
  const locationId = f.integer('locationId');
  const imageId = f.integer('imageId');
  if (!SERVER_TYPES.some((t) => t.id === serverTypeId)) f.problem('serverTypeId', 'no such server type');
  if (!LOCATIONS.some((l) => l.id === locationId)) f.problem('locationId', 'no such location');
  if (!IMAGES.some((i) => i.id === imageId)) f.problem('imageId', 'no such image');
  const ipv4 = f.object('ipv4');
  const ipv6 = f.object('ipv6');
  return {
    id: f.integer('id'),
    name: f.string('name'),
    status: f.oneOf('status', SERVER_STATUSES),
    created: f.date('created'),
    serverTypeId,
    primaryDiskSize: f.integer('primaryDiskSize'),
    locationId,
    imageId,
    labels: f.stringMap('labels'),
    ipv4: { id: ipv4.integer('id'), ip: ipv4.string('ip', /^\d{1,3}(\.\d{1,3}){3}$/) },
    ipv6: { id: ipv6.integer('id'), ip: ipv6.string('ip') },
    vmLabel: f.string('vmLabel', /^[a-z0-9][a-z0-9-]*$/),
    identity: readVmIdentity(f.object('identity')),
  };
}

function parseAction(f: StateFields): ActionRecord {
  const error = f.raw('error') === null ? null : f.object('error');
  return {
    id: f.integer('id'),
    command: f.string('command'),
    status: f.oneOf('status', ['running', 'success', 'error'] as const),
    startedAt: f.integer('startedAt'),
    expectedMs: f.integer('expectedMs'),
    finishedAt: f.nullableInteger('finishedAt'),
    error: error === null ? null : { code: error.string('code'), message: error.string('message') },
    resources: f.objects('resources').map((r) => ({ id: r.integer('id'), type: r.string('type') })),
  };
}

function byId<T extends { id: number }>(items: readonly T[], id: number): T {
  const found = items.find((item) => item.id === id);
  if (found === undefined) throw new Error(`catalogue entry ${id} vanished after validation`);
  return found;
}
