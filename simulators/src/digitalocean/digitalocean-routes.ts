import { randomUUID } from 'node:crypto';
import { identityFromUserData } from '../common/cloud-init';
import type { FaultBook } from '../common/faults';
import type { SimRequest, SimResponse, SimRouter } from '../common/http-router';
import { md5Fingerprint, parsePublicKeyLine } from '../common/ssh-public-keys';
import { NO_FAULT, type DropletEvents, type EventFault, type PowerActionType } from './digitalocean-actions';
import {
  IMAGES,
  REGIONS,
  SIZES,
  findImage,
  findSize,
  imageJson,
  placeRegion,
  regionJson,
  sizeJson,
} from './digitalocean-catalog';
import { MESSAGES, notFound, tagBadRequest, unprocessable } from './digitalocean-errors';
import { paginate } from './digitalocean-pagination';
import {
  actionJson,
  dropletJson,
  keyJson,
  tagJson,
  type DigitalOceanState,
  type Droplet,
} from './digitalocean-state';

/** `^[a-zA-Z0-9]?[a-z0-9A-Z.\-]*[a-z0-9A-Z]$`, at most 255 (openapi `droplet_single_create.yml`). */
const DROPLET_NAME = /^[a-zA-Z0-9]?[a-z0-9A-Z.-]*[a-z0-9A-Z]$/;
/** Letters, digits, colons, dashes and underscores, at most 255 (openapi `tags/models/tags.yml`). */
const TAG_NAME = /^[a-zA-Z0-9_:-]{1,255}$/;
const MAX_USER_DATA = 64 * 1024;

export interface RouteContext {
  state: DigitalOceanState;
  events: DropletEvents;
  faults: FaultBook;
  /** The simulator's own base (`http://127.0.0.1:PORT`), for absolute links. */
  origin(): string;
  dropletLimit: number;
  account: { email: string; uuid: string; teamUuid: string; teamName: string };
}

const POWER_ACTIONS: readonly string[] = ['power_on', 'power_off', 'shutdown', 'reboot', 'power_cycle'];

function isPowerAction(type: unknown): type is PowerActionType {
  return typeof type === 'string' && POWER_ACTIONS.includes(type);
}

type Handler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

/** Adds the vendor API's routes; `wrap` decorates each answer (headers, request id). */
export function addDigitalOceanRoutes(
  router: SimRouter,
  ctx: RouteContext,
  wrap: (handler: Handler) => Handler,
): void {
  const api = new DigitalOceanApi(ctx);
  const routes: Array<[string, string, Handler]> = [
    ['GET', '/v2/account', () => api.account()],
    ['GET', '/v2/regions', (r) => api.list(r, 'regions', REGIONS.map(regionJson))],
    ['GET', '/v2/sizes', (r) => api.list(r, 'sizes', SIZES.map(sizeJson))],
    ['GET', '/v2/images', (r) => api.images(r)],
    ['GET', '/v2/images/:ref', (r) => api.image(r)],
    ['GET', '/v2/account/keys', (r) => api.list(r, 'ssh_keys', [...ctx.state.keys.values()].map(keyJson))],
    ['POST', '/v2/account/keys', (r) => api.createKey(r)],
    ['GET', '/v2/account/keys/:ref', (r) => api.getKey(r)],
    ['PUT', '/v2/account/keys/:ref', (r) => api.updateKey(r)],
    ['DELETE', '/v2/account/keys/:ref', (r) => api.deleteKey(r)],
    ['GET', '/v2/tags', (r) => api.listTags(r)],
    ['POST', '/v2/tags', (r) => api.createTag(r)],
    ['GET', '/v2/tags/:name', (r) => api.getTag(r)],
    ['DELETE', '/v2/tags/:name', (r) => api.deleteTag(r)],
    ['GET', '/v2/droplets', (r) => api.listDroplets(r)],
    ['POST', '/v2/droplets', (r) => api.createDroplets(r)],
    ['DELETE', '/v2/droplets', (r) => api.deleteDropletsByTag(r)],
    ['POST', '/v2/droplets/actions', (r) => api.postTaggedDropletsAction(r)],
    ['GET', '/v2/droplets/:id', (r) => api.getDroplet(r)],
    ['DELETE', '/v2/droplets/:id', (r) => api.deleteDroplet(r)],
    ['GET', '/v2/droplets/:id/actions', (r) => api.listDropletActions(r)],
    ['POST', '/v2/droplets/:id/actions', (r) => api.postDropletAction(r)],
    ['GET', '/v2/droplets/:id/actions/:action', (r) => api.getDropletAction(r)],
    ['GET', '/v2/actions', (r) => api.listActions(r)],
    ['GET', '/v2/actions/:action', (r) => api.getAction(r)],
  ];
  for (const [method, path, handler] of routes) router.add(method, path, wrap(handler));
}

class DigitalOceanApi {
  constructor(private readonly ctx: RouteContext) {}

  private get state(): DigitalOceanState {
    return this.ctx.state;
  }

  list(req: SimRequest, root: string, all: readonly unknown[]): SimResponse {
    const page = paginate(all, req.query, this.ctx.origin(), req.path);
    return { status: 200, body: { [root]: page.items, links: page.links, meta: page.meta } };
  }

  account(): SimResponse {
    const a = this.ctx.account;
    return {
      status: 200,
      body: {
        account: {
          droplet_limit: this.ctx.dropletLimit,
          floating_ip_limit: 3,
          reserved_ip_limit: 3,
          volume_limit: 100,
          email: a.email,
          name: 'Simulated Operator',
          uuid: a.uuid,
          email_verified: true,
          status: 'active',
          status_message: '',
          team: { uuid: a.teamUuid, name: a.teamName },
        },
      },
    };
  }

  images(req: SimRequest): SimResponse {
    // Only public distribution images exist here: `private=true` and `type=application` list none.
    const type = req.query.get('type');
    const none = req.query.get('private') === 'true' || (type !== null && type !== 'distribution');
    return this.list(req, 'images', none ? [] : IMAGES.map(imageJson));
  }

  image(req: SimRequest): SimResponse {
    const image = findImage(req.params['ref']);
    return image ? { status: 200, body: { image: imageJson(image) } } : notFound();
  }

  // --- SSH keys -------------------------------------------------------------------------------

  createKey(req: SimRequest): SimResponse {
    const name = req.body['name'];
    const publicKey = req.body['public_key'];
    if (typeof name !== 'string' || name.trim() === '') return unprocessable(MESSAGES.nameBlank);
    const parsed = typeof publicKey === 'string' ? parsePublicKeyLine(publicKey) : undefined;
    if (typeof publicKey !== 'string' || !parsed) return unprocessable(MESSAGES.keyInvalid);
    const fingerprint = md5Fingerprint(parsed.blob);
    if (this.state.findKey(fingerprint)) return unprocessable(MESSAGES.keyInUse);
    const key = { id: this.state.keyId(), name, fingerprint, publicKey: publicKey.trim() };
    this.state.keys.set(key.id, key);
    return { status: 201, body: { ssh_key: keyJson(key) } };
  }

  getKey(req: SimRequest): SimResponse {
    const key = this.state.findKey(req.params['ref'] ?? '');
    return key ? { status: 200, body: { ssh_key: keyJson(key) } } : notFound();
  }

  updateKey(req: SimRequest): SimResponse {
    const key = this.state.findKey(req.params['ref'] ?? '');
    if (!key) return notFound();
    const name = req.body['name'];
    if (typeof name === 'string' && name.trim() !== '') key.name = name;
    return { status: 200, body: { ssh_key: keyJson(key) } };
  }

  deleteKey(req: SimRequest): SimResponse {
    const key = this.state.findKey(req.params['ref'] ?? '');
    if (!key) return notFound();
    this.state.keys.delete(key.id);
    return { status: 204 };
  }

  // --- Tags -----------------------------------------------------------------------------------

  listTags(req: SimRequest): SimResponse {
    const tags = [...this.state.tags.values()].map((name) =>
      tagJson(name, this.state.dropletsTagged(name), this.ctx.origin()),
    );
    return this.list(req, 'tags', tags);
  }

  createTag(req: SimRequest): SimResponse {
    const name = req.body['name'];
    if (typeof name !== 'string' || !TAG_NAME.test(name)) return tagBadRequest(String(name ?? ''));
    const canonical = this.state.ensureTag(name);
    return {
      status: 201,
      body: { tag: tagJson(canonical, this.state.dropletsTagged(canonical), this.ctx.origin()) },
    };
  }

  getTag(req: SimRequest): SimResponse {
    const name = req.params['name'] ?? '';
    if (this.state.tags.get(name.toLowerCase()) !== name) return notFound();
    return { status: 200, body: { tag: tagJson(name, this.state.dropletsTagged(name), this.ctx.origin()) } };
  }

  deleteTag(req: SimRequest): SimResponse {
    const name = req.params['name'] ?? '';
    if (this.state.tags.get(name.toLowerCase()) !== name) return notFound();
    this.state.tags.delete(name.toLowerCase());
    for (const droplet of this.state.droplets.values()) droplet.tags = droplet.tags.filter((t) => t !== name);
    return { status: 204 };
  }

  // --- Droplets -------------------------------------------------------------------------------

  listDroplets(req: SimRequest): SimResponse {
    const tag = req.query.get('tag_name');
    const name = req.query.get('name');
    const type = req.query.get('type');
    if (tag !== null && (name !== null || type !== null)) return unprocessable(MESSAGES.tagFilterConflict);
    let droplets = [...this.state.droplets.values()];
    if (tag !== null) droplets = droplets.filter((d) => d.tags.includes(tag));
    if (name !== null) droplets = droplets.filter((d) => d.name.toLowerCase() === name.toLowerCase());
    // No GPU droplets are sold here: `type=gpus` lists none, and GPU droplets never show without it.
    if (type === 'gpus') droplets = [];
    return this.list(req, 'droplets', droplets.map(dropletJson));
  }

  createDroplets(req: SimRequest): SimResponse {
    const body = req.body;
    const multi = body['names'] !== undefined;
    const names = multi ? body['names'] : [body['name']];
    if (!Array.isArray(names) || names.length === 0) return unprocessable(MESSAGES.nameBlank);
    if (names.length > 10) return unprocessable(MESSAGES.tooManyNames);
    for (const name of names) {
      if (typeof name !== 'string' || name === '') return unprocessable(MESSAGES.nameBlank);
      if (name.length > 255 || !DROPLET_NAME.test(name)) return unprocessable(MESSAGES.invalidName);
    }
    const size = typeof body['size'] === 'string' ? findSize(body['size']) : undefined;
    if (!size) return unprocessable(MESSAGES.invalidSize);
    const region = placeRegion(typeof body['region'] === 'string' ? body['region'] : undefined);
    if (!region) return unprocessable(MESSAGES.invalidRegion);
    const image = findImage(body['image']);
    if (!image) return unprocessable(MESSAGES.invalidImage);
    const sshKeys = body['ssh_keys'] ?? [];
    if (!Array.isArray(sshKeys))
      return unprocessable(`${String(sshKeys)} are invalid key identifiers for Droplet creation.`);
    const keys = [];
    const invalid: string[] = [];
    for (const ref of sshKeys) {
      const key = typeof ref === 'string' || typeof ref === 'number' ? this.state.findKey(ref) : undefined;
      if (key) keys.push(key);
      else invalid.push(String(ref));
    }
    if (invalid.length > 0)
      return unprocessable(`${invalid.join(', ')} are invalid key identifiers for Droplet creation.`);
    const tags = body['tags'] ?? [];
    if (!Array.isArray(tags)) return unprocessable('tags must be an array of strings.');
    for (const tag of tags) {
      if (typeof tag !== 'string' || !TAG_NAME.test(tag)) {
        return unprocessable(
          `Error validating resource tag: "tag-name \\"${String(tag)}\\" contains invalid characters"`,
        );
      }
    }
    const userData = body['user_data'];
    if (userData !== undefined && userData !== null && typeof userData !== 'string') {
      return unprocessable('user_data must be a string.');
    }
    if (typeof userData === 'string' && Buffer.byteLength(userData) > MAX_USER_DATA) {
      return unprocessable(MESSAGES.userDataTooLong);
    }
    if (this.state.droplets.size + names.length > this.ctx.dropletLimit)
      return unprocessable(MESSAGES.dropletLimit);

    // Accepted. Task faults aimed at this request decide how the create events end.
    const fired = this.ctx.faults.take(req.method, req.path, ['task-error', 'slow-task']);
    const fault: EventFault = {
      errored: fired?.kind === 'task-error',
      extraMs: fired?.kind === 'slow-task' ? (fired.delayMs ?? 10_000) : 0,
    };
    const fromUserData = identityFromUserData(typeof userData === 'string' ? userData : undefined);
    const identity = {
      authorizedKeys: [...keys.map((k) => k.publicKey), ...(fromUserData.authorizedKeys ?? [])],
      ...(fromUserData.hostPrivateKey !== undefined ? { hostPrivateKey: fromUserData.hostPrivateKey } : {}),
    };
    const canonicalTags = [...new Set((tags as string[]).map((t) => this.state.ensureTag(t)))];
    const features = ['droplet_agent', 'private_networking'];
    if (body['backups'] === true) features.push('backups');
    if (body['ipv6'] === true) features.push('ipv6');
    if (body['monitoring'] === true) features.push('monitoring');
    const created: Droplet[] = [];
    const links: Array<{ id: number; rel: string; href: string }> = [];
    for (const name of names as string[]) {
      const droplet: Droplet = {
        id: this.state.dropletId(),
        name,
        machineLabel: `droplet-${randomUUID()}`,
        region,
        size,
        disk: size.disk,
        image,
        status: 'new',
        locked: false,
        createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        tags: canonicalTags,
        features,
        vpcUuid: typeof body['vpc_uuid'] === 'string' ? body['vpc_uuid'] : this.state.vpcOf(region),
        identity,
      };
      this.state.droplets.set(droplet.id, droplet);
      const action = this.state.newAction(droplet, 'create');
      this.ctx.events.create(droplet, action, fault);
      created.push(droplet);
      links.push({ id: action.id, rel: 'create', href: `${this.ctx.origin()}/v2/actions/${action.id}` });
    }
    const root = multi
      ? { droplets: created.map(dropletJson) }
      : { droplet: dropletJson(created[0] as Droplet) };
    return { status: 202, body: { ...root, links: { actions: links } } };
  }

  getDroplet(req: SimRequest): SimResponse {
    const droplet = this.droplet(req);
    return droplet ? { status: 200, body: { droplet: dropletJson(droplet) } } : notFound();
  }

  deleteDroplet(req: SimRequest): SimResponse {
    const droplet = this.droplet(req);
    if (!droplet) return notFound();
    this.destroy(droplet);
    return { status: 204 };
  }

  deleteDropletsByTag(req: SimRequest): SimResponse {
    const tag = req.query.get('tag_name');
    if (tag === null || tag === '') return unprocessable('tag_name is required to delete Droplets by tag.');
    for (const droplet of this.state.dropletsTagged(tag)) this.destroy(droplet);
    return { status: 204 };
  }

  private destroy(droplet: Droplet): void {
    this.state.droplets.delete(droplet.id);
    this.state.newAction(droplet, 'destroy', 'completed');
    // A destroyed droplet's running events end with it.
    for (const action of this.state.actionsOf(droplet.id)) {
      if (action.status === 'in-progress') {
        action.status = 'errored';
        action.completedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      }
    }
    droplet.status = 'archive';
    this.ctx.events.destroyMachine(droplet);
  }

  // --- Actions --------------------------------------------------------------------------------

  listDropletActions(req: SimRequest): SimResponse {
    const droplet = this.droplet(req);
    if (!droplet) return notFound();
    return this.list(req, 'actions', this.state.actionsOf(droplet.id).map(actionJson));
  }

  getDropletAction(req: SimRequest): SimResponse {
    const droplet = this.droplet(req);
    const action = this.state.actions.get(Number(req.params['action']));
    if (!droplet || !action || action.resourceId !== droplet.id) return notFound();
    return { status: 200, body: { action: actionJson(action) } };
  }

  listActions(req: SimRequest): SimResponse {
    const all = [...this.state.actions.values()].sort((a, b) => b.id - a.id).map(actionJson);
    return this.list(req, 'actions', all);
  }

  getAction(req: SimRequest): SimResponse {
    const action = /^\d+$/.test(req.params['action'] ?? '')
      ? this.state.actions.get(Number(req.params['action']))
      : undefined;
    return action ? { status: 200, body: { action: actionJson(action) } } : notFound();
  }

  postDropletAction(req: SimRequest): SimResponse {
    const droplet = this.droplet(req);
    if (!droplet) return notFound();
    const type = req.body['type'];
    if (typeof type !== 'string') return unprocessable('You must specify an action type.');
    if (this.state.pendingAction(droplet)) return unprocessable(MESSAGES.pendingEvent);
    const fired = this.ctx.faults.take(req.method, req.path, ['task-error', 'slow-task']);
    const fault: EventFault = {
      errored: fired?.kind === 'task-error',
      extraMs: fired?.kind === 'slow-task' ? (fired.delayMs ?? 10_000) : 0,
    };
    switch (type) {
      case 'power_on':
      case 'power_off':
      case 'shutdown':
      case 'reboot':
      case 'power_cycle': {
        const action = this.state.newAction(droplet, type);
        droplet.locked = true;
        this.ctx.events.power(droplet, action, type, fault);
        return { status: 201, body: { action: actionJson(action) } };
      }
      case 'resize': {
        const size = typeof req.body['size'] === 'string' ? findSize(req.body['size']) : undefined;
        if (!size) return unprocessable(MESSAGES.invalidSize);
        const disk = req.body['disk'] === true || req.body['disk'] === 'true';
        if (droplet.status !== 'off') return unprocessable(MESSAGES.mustBeOff);
        if (size.disk < droplet.disk) return unprocessable(MESSAGES.diskShrink);
        const action = this.state.newAction(droplet, 'resize');
        droplet.locked = true;
        this.ctx.events.resize(droplet, action, size, disk, fault);
        return { status: 201, body: { action: actionJson(action) } };
      }
      case 'rename': {
        const name = req.body['name'];
        if (typeof name !== 'string' || !DROPLET_NAME.test(name)) return unprocessable(MESSAGES.invalidName);
        const action = this.state.newAction(droplet, 'rename');
        droplet.locked = true;
        this.ctx.events.rename(droplet, action, name, fault);
        return { status: 201, body: { action: actionJson(action) } };
      }
      default:
        return unprocessable(`${type} is not a valid action type.`);
    }
  }

  /** `POST /v2/droplets/actions?tag_name=T`: one power event per tagged droplet that is not busy. */
  postTaggedDropletsAction(req: SimRequest): SimResponse {
    const tag = req.query.get('tag_name');
    if (tag === null || tag === '') return notFound();
    const type = req.body['type'];
    if (!isPowerAction(type)) return unprocessable(`${String(type)} is not a valid action type.`);
    const actions = [];
    for (const droplet of this.state.dropletsTagged(tag)) {
      if (this.state.pendingAction(droplet)) continue;
      const action = this.state.newAction(droplet, type);
      droplet.locked = true;
      this.ctx.events.power(droplet, action, type, NO_FAULT);
      actions.push(actionJson(action));
    }
    return { status: 201, body: { actions } };
  }

  private droplet(req: SimRequest): Droplet | undefined {
    const id = req.params['id'] ?? '';
    return /^\d+$/.test(id) ? this.state.droplets.get(Number(id)) : undefined;
  }
}
