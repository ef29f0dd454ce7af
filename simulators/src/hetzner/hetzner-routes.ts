import type { FaultBook } from '../common/faults';
import type { SimRequest, SimResponse, SimRouter } from '../common/http-router';
import { md5Fingerprint } from '../common/ssh-public-keys';
import type { ActionBook, ActionRecord } from './hetzner-actions';
import { isoTime } from './hetzner-actions';
import {
  byIdOrName,
  DATACENTERS,
  type HetznerImage,
  type HetznerLocation,
  type HetznerServerType,
  IMAGES,
  LOCATIONS,
  SERVER_TYPES,
} from './hetzner-catalog';
import { HetznerApiError, invalidField, invalidInput, notFound, uniquenessError } from './hetzner-errors';
import type { HetznerHttp } from './hetzner-http';
import {
  type ActionFault,
  type HetznerServers,
  SERVER_ACTIONS,
  type ServerActionCommand,
  type ServerRecord,
  type SshKeyBook,
  type SshKeyRecord,
} from './hetzner-servers';
import {
  LabelSelectorError,
  labelsProblems,
  matchesLabelSelector,
  parseLabelSelector,
} from './label-selector';
import { linkHeader, paginate, type SortKey, sortItems } from './pagination';
import { hetznerPublicKey } from './ssh-public-key';

/** The Hetzner Cloud API routes under `/v1`: locations, server types, images, SSH keys, servers, actions. */
export interface HetznerApiDeps {
  router: SimRouter;
  http: HetznerHttp;
  faults: FaultBook;
  actions: ActionBook;
  servers: HetznerServers;
  sshKeys: SshKeyBook;
  /** Called after every request that may have changed something (the state file is saved). */
  changed: () => void;
}

const HOSTNAME =
  /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const MAX_USER_DATA = 32 * 1024;

type Handler = (req: SimRequest) => Promise<SimResponse> | SimResponse;

export function addHetznerRoutes(deps: HetznerApiDeps): void {
  const { router, http, faults, actions, servers, sshKeys, changed } = deps;

  const add = (method: string, pattern: string, handler: Handler): void => {
    router.add(method, `/v1${pattern}`, async (req) => {
      try {
        return http.decorate(req, await handler(req));
      } catch (err) {
        return http.internalError(req, err);
      } finally {
        if (method !== 'GET') changed();
      }
    });
  };

  // ---- helpers ---------------------------------------------------------------------------------

  const list = <T>(
    req: SimRequest,
    root: string,
    items: readonly T[],
    keys: Record<string, SortKey<T>>,
    render: (item: T) => unknown,
  ): SimResponse => {
    const sorted = sortItems(items, req.query.getAll('sort'), keys);
    const { items: page, meta } = paginate(sorted, req.query);
    const base = `http://${req.headers.host ?? '127.0.0.1'}${req.path}`;
    return {
      status: 200,
      headers: { link: linkHeader(base, req.query, meta) },
      body: { [root]: page.map(render), meta: { pagination: meta } },
    };
  };

  const bySelector = <T extends { labels: Record<string, string> }>(req: SimRequest, items: T[]): T[] => {
    const selector = req.query.get('label_selector');
    if (selector === null) return items;
    try {
      const requirements = parseLabelSelector(selector);
      return items.filter((item) => matchesLabelSelector(item.labels, requirements));
    } catch (err) {
      if (err instanceof LabelSelectorError) throw invalidField('label_selector', err.message);
      throw err;
    }
  };

  const byName = <T extends { name: string | null }>(req: SimRequest, items: T[]): T[] => {
    const name = req.query.get('name');
    return name === null ? items : items.filter((item) => item.name === name);
  };

  const idParam = (req: SimRequest, name = 'id'): number => {
    const raw = req.params[name] ?? '';
    if (!/^\d+$/.test(raw)) throw invalidField(name, 'must be an integer');
    return Number(raw);
  };

  const labelsInput = (value: unknown): Record<string, string> => {
    if (value === undefined || value === null) return {};
    const problems = labelsProblems(value);
    if (problems.length > 0) throw invalidInput([{ name: 'labels', messages: problems }]);
    return { ...(value as Record<string, string>) };
  };

  /** A fault armed for this request that shapes its action (error, or slow). */
  const actionFault = (req: SimRequest): ActionFault | undefined => {
    const fault = faults.take(req.method, req.path, ['task-error', 'slow-task']);
    if (fault === undefined) return undefined;
    return fault.kind === 'task-error'
      ? { kind: 'task-error', ...(fault.message !== undefined ? { message: fault.message } : {}) }
      : { kind: 'slow-task', delayMs: fault.delayMs ?? 10_000 };
  };

  const actionJson = (action: ActionRecord): unknown => actions.toJson(action);

  const actionSortKeys: Record<string, SortKey<ActionRecord>> = {
    id: (a) => a.id,
    command: (a) => a.command,
    status: (a) => a.status,
    progress: (a) => actions.progress(a),
    started: (a) => a.startedAt,
    finished: (a) => a.finishedAt,
  };

  const filterActions = (req: SimRequest, items: ActionRecord[]): ActionRecord[] => {
    const ids = req.query.getAll('id');
    const statuses = req.query.getAll('status');
    return items.filter(
      (a) =>
        (ids.length === 0 || ids.includes(String(a.id))) &&
        (statuses.length === 0 || statuses.includes(a.status)),
    );
  };

  const serverJson = (s: ServerRecord): unknown => ({
    id: s.id,
    name: s.name,
    status: s.status,
    created: s.created,
    public_net: {
      ipv4: {
        id: s.ipv4.id,
        ip: s.ipv4.ip,
        blocked: false,
        dns_ptr: `static.${s.ipv4.ip}.clients.your-server.de`,
      },
      ipv6: { id: s.ipv6.id, ip: s.ipv6.ip, blocked: false, dns_ptr: [] },
      floating_ips: [],
      firewalls: [],
    },
    private_net: [],
    server_type: s.serverType,
    included_traffic: 20 * 1024 ** 4,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
    backup_window: null,
    rescue_enabled: false,
    iso: null,
    locked: servers.locked(s),
    location: s.location,
    image: s.image,
    protection: { delete: false, rebuild: false },
    labels: s.labels,
    volumes: [],
    primary_disk_size: s.primaryDiskSize,
    placement_group: null,
    load_balancers: [],
  });

  const serverOf = (req: SimRequest): ServerRecord => {
    const server = servers.get(idParam(req));
    if (server === undefined) throw notFound('server');
    return server;
  };

  const serverTypeInput = (value: unknown): HetznerServerType => {
    if (value === undefined || value === null || value === '')
      throw invalidField('server_type', 'is required');
    const type = byIdOrName(SERVER_TYPES, value);
    if (type === undefined) throw invalidField('server_type', `server type ${String(value)} not found`);
    return type;
  };

  // ---- catalogue -------------------------------------------------------------------------------

  const nameKeys = <T extends { id: number; name: string | null }>(): Record<string, SortKey<T>> => ({
    id: (t) => t.id,
    name: (t) => t.name,
  });

  add('GET', '/locations', (req) =>
    list(req, 'locations', byName(req, [...LOCATIONS]), nameKeys<HetznerLocation>(), (l) => l),
  );
  add('GET', '/locations/:id', (req) => {
    const location = LOCATIONS.find((l) => l.id === idParam(req));
    if (location === undefined) throw notFound('location');
    return { status: 200, body: { location } };
  });

  add('GET', '/server_types', (req) =>
    list(req, 'server_types', byName(req, [...SERVER_TYPES]), nameKeys<HetznerServerType>(), (t) => t),
  );
  add('GET', '/server_types/:id', (req) => {
    const serverType = SERVER_TYPES.find((t) => t.id === idParam(req));
    if (serverType === undefined) throw notFound('server type');
    return { status: 200, body: { server_type: serverType } };
  });

  add('GET', '/images', (req) => {
    const types = req.query.getAll('type');
    const architecture = req.query.get('architecture');
    const statuses = req.query.getAll('status');
    const images = bySelector(req, byName(req, [...IMAGES])).filter(
      (i) =>
        (types.length === 0 || types.includes(i.type)) &&
        (architecture === null || i.architecture === architecture) &&
        (statuses.length === 0 || statuses.includes(i.status)),
    );
    return list(req, 'images', images, { ...nameKeys<HetznerImage>(), created: (i) => i.created }, (i) => i);
  });
  add('GET', '/images/:id', (req) => {
    const image = IMAGES.find((i) => i.id === idParam(req));
    if (image === undefined) throw notFound('image');
    return { status: 200, body: { image } };
  });

  // ---- SSH keys --------------------------------------------------------------------------------

  const sshKeyOf = (req: SimRequest): SshKeyRecord => {
    const key = sshKeys.records.get(idParam(req));
    if (key === undefined) throw notFound('SSH key');
    return key;
  };

  add('GET', '/ssh_keys', (req) => {
    const fingerprint = req.query.get('fingerprint');
    const keys = bySelector(req, byName(req, sshKeys.values())).filter(
      (k) => fingerprint === null || k.fingerprint === fingerprint,
    );
    return list(req, 'ssh_keys', keys, nameKeys<SshKeyRecord>(), (k) => k);
  });
  add('GET', '/ssh_keys/:id', (req) => ({ status: 200, body: { ssh_key: sshKeyOf(req) } }));
  add('POST', '/ssh_keys', (req) => {
    const { name, public_key: publicKey } = req.body;
    const problems: Array<{ name: string; messages: string[] }> = [];
    if (typeof name !== 'string' || name.trim() === '')
      problems.push({ name: 'name', messages: ['is required'] });
    const parsed = typeof publicKey === 'string' ? hetznerPublicKey(publicKey) : undefined;
    if (parsed === undefined) problems.push({ name: 'public_key', messages: ['invalid public key'] });
    if (
      problems.length > 0 ||
      typeof name !== 'string' ||
      parsed === undefined ||
      typeof publicKey !== 'string'
    ) {
      throw invalidInput(problems);
    }
    const labels = labelsInput(req.body['labels']);
    const fingerprint = md5Fingerprint(parsed.blob);
    const existing = sshKeys.values();
    if (existing.some((k) => k.fingerprint === fingerprint)) {
      throw uniquenessError('public_key', 'SSH key with the same fingerprint already exists');
    }
    if (existing.some((k) => k.name === name))
      throw uniquenessError('name', 'SSH key with the same name already exists');
    const key: SshKeyRecord = {
      id: sshKeys.newId(),
      name,
      fingerprint,
      public_key: publicKey.trim(),
      labels,
      created: isoTime(Date.now()),
    };
    sshKeys.records.set(key.id, key);
    return { status: 201, body: { ssh_key: key } };
  });
  add('PUT', '/ssh_keys/:id', (req) => {
    const key = sshKeyOf(req);
    const { name, labels } = req.body;
    if (name !== undefined) {
      if (typeof name !== 'string' || name.trim() === '')
        throw invalidField('name', 'must be a non-empty string');
      if (sshKeys.values().some((k) => k.name === name && k.id !== key.id)) {
        throw uniquenessError('name', 'SSH key with the same name already exists');
      }
    }
    const newLabels = labels === undefined ? undefined : labelsInput(labels);
    if (typeof name === 'string') key.name = name;
    if (newLabels !== undefined) key.labels = newLabels;
    return { status: 200, body: { ssh_key: key } };
  });
  add('DELETE', '/ssh_keys/:id', (req) => {
    sshKeys.records.delete(sshKeyOf(req).id);
    return { status: 204 };
  });

  // ---- servers ---------------------------------------------------------------------------------

  const serverSortKeys: Record<string, SortKey<ServerRecord>> = {
    id: (s) => s.id,
    name: (s) => s.name,
    created: (s) => s.created,
  };

  add('GET', '/servers', (req) => {
    const statuses = req.query.getAll('status');
    const found = bySelector(req, byName(req, servers.list())).filter(
      (s) => statuses.length === 0 || statuses.includes(s.status),
    );
    return list(req, 'servers', found, serverSortKeys, serverJson);
  });

  add('POST', '/servers', async (req) => {
    const body = req.body;
    const problems: Array<{ name: string; messages: string[] }> = [];
    const field = (name: string, message: string): void => {
      problems.push({ name, messages: [message] });
    };
    const name = body['name'];
    if (typeof name !== 'string' || name === '') field('name', 'is required');
    else if (!HOSTNAME.test(name)) field('name', 'must be a valid hostname (RFC 1123)');
    let serverType: HetznerServerType | undefined;
    try {
      serverType = serverTypeInput(body['server_type']);
    } catch (err) {
      if (!(err instanceof HetznerApiError)) throw err;
      field('server_type', body['server_type'] === undefined ? 'is required' : 'server type not found');
    }
    const imageRef = body['image'];
    const image = byIdOrName(IMAGES, imageRef);
    if (imageRef === undefined || imageRef === null || imageRef === '') field('image', 'is required');
    else if (image === undefined) field('image', `image ${String(imageRef)} not found`);
    const locationRef = body['location'];
    const datacenterRef = body['datacenter'];
    let location: HetznerLocation | undefined = LOCATIONS[0];
    if (locationRef !== undefined && datacenterRef !== undefined) {
      field('location', 'location and datacenter are mutually exclusive');
    } else if (locationRef !== undefined) {
      location = byIdOrName(LOCATIONS, locationRef);
      if (location === undefined) field('location', `location ${String(locationRef)} not found`);
    } else if (datacenterRef !== undefined) {
      const locationName = typeof datacenterRef === 'string' ? DATACENTERS[datacenterRef] : undefined;
      location = LOCATIONS.find((l) => l.name === locationName);
      if (location === undefined) field('datacenter', `datacenter ${String(datacenterRef)} not found`);
    }
    if (serverType !== undefined && location !== undefined) {
      const here = location.name;
      if (!serverType.locations.some((l) => l.name === here && l.available)) {
        field('server_type', `server type ${serverType.name} is not available in location ${here}`);
      }
    }
    const keyRefs = body['ssh_keys'] ?? [];
    const keys: SshKeyRecord[] = [];
    if (!Array.isArray(keyRefs)) field('ssh_keys', 'must be a list of SSH key ids or names');
    else {
      for (const ref of keyRefs as unknown[]) {
        const key = byIdOrName(sshKeys.values(), ref);
        if (key === undefined) field('ssh_keys', `SSH key ${String(ref)} not found`);
        else keys.push(key);
      }
    }
    const userData = body['user_data'];
    if (userData !== undefined && typeof userData !== 'string') field('user_data', 'must be a string');
    else if (typeof userData === 'string' && Buffer.byteLength(userData) > MAX_USER_DATA) {
      field('user_data', 'is longer than 32 KiB');
    }
    const start = body['start_after_create'];
    if (start !== undefined && typeof start !== 'boolean') field('start_after_create', 'must be a boolean');
    let labels: Record<string, string> = {};
    try {
      labels = labelsInput(body['labels']);
    } catch (err) {
      if (!(err instanceof HetznerApiError)) throw err;
      problems.push({ name: 'labels', messages: labelsProblems(body['labels']) });
    }
    if (problems.length > 0 || typeof name !== 'string' || !serverType || !image || !location) {
      throw invalidInput(problems);
    }
    const created = await servers.create({
      name,
      serverType,
      image,
      location,
      labels,
      sshKeys: keys,
      userData: typeof userData === 'string' ? userData : undefined,
      startAfterCreate: start !== false,
      fault: servers.nameTaken(name) ? undefined : actionFault(req),
    });
    return {
      status: 201,
      body: {
        server: serverJson(created.server),
        action: actionJson(created.action),
        next_actions: created.nextActions.map(actionJson),
        root_password: created.rootPassword,
      },
    };
  });

  add('GET', '/servers/actions', (req) => {
    const mine = actions.all().filter((a) => a.resources.some((r) => r.type === 'server'));
    return list(req, 'actions', filterActions(req, mine), actionSortKeys, actionJson);
  });
  add('GET', '/servers/actions/:id', (req) => {
    const action = actions.get(idParam(req));
    if (action === undefined || !action.resources.some((r) => r.type === 'server')) throw notFound('action');
    return { status: 200, body: { action: actionJson(action) } };
  });

  add('GET', '/servers/:id', (req) => ({ status: 200, body: { server: serverJson(serverOf(req)) } }));
  add('PUT', '/servers/:id', (req) => {
    const server = serverOf(req);
    const { name, labels } = req.body;
    if (name !== undefined) {
      if (typeof name !== 'string' || !HOSTNAME.test(name)) {
        throw invalidField('name', 'must be a valid hostname (RFC 1123)');
      }
      if (servers.nameTaken(name, server.id)) throw uniquenessError('name', 'server name is already used');
    }
    const newLabels = labels === undefined ? undefined : labelsInput(labels);
    if (typeof name === 'string') server.name = name;
    if (newLabels !== undefined) server.labels = newLabels;
    return { status: 200, body: { server: serverJson(server) } };
  });
  add('DELETE', '/servers/:id', (req) => {
    const server = serverOf(req);
    return { status: 200, body: { action: actionJson(servers.delete(server, actionFault(req))) } };
  });

  add('GET', '/servers/:id/actions', (req) => {
    const server = serverOf(req);
    return list(
      req,
      'actions',
      filterActions(req, actions.forResource('server', server.id)),
      actionSortKeys,
      actionJson,
    );
  });
  add('GET', '/servers/:id/actions/:actionId', (req) => {
    const server = serverOf(req);
    const action = actions.get(idParam(req, 'actionId'));
    if (action === undefined || !action.resources.some((r) => r.type === 'server' && r.id === server.id)) {
      throw notFound('action');
    }
    return { status: 200, body: { action: actionJson(action) } };
  });
  add('POST', '/servers/:id/actions/:command', (req) => {
    const command = req.params['command'] ?? '';
    if (!(SERVER_ACTIONS as readonly string[]).includes(command)) throw notFound('action');
    const server = serverOf(req);
    let change: { serverType: HetznerServerType; upgradeDisk: boolean } | undefined;
    if (command === 'change_type') {
      const serverType = serverTypeInput(req.body['server_type']);
      const upgradeDisk = req.body['upgrade_disk'];
      if (typeof upgradeDisk !== 'boolean')
        throw invalidField('upgrade_disk', 'is required and must be a boolean');
      if (serverType.disk < server.primaryDiskSize) {
        throw new HetznerApiError(
          409,
          'invalid_server_type',
          `server type ${serverType.name} has a smaller disk than the server's ${server.primaryDiskSize} GB`,
        );
      }
      change = { serverType, upgradeDisk };
    }
    const action = servers.runAction(server, command as ServerActionCommand, actionFault(req), change);
    return { status: 201, body: { action: actionJson(action) } };
  });

  // ---- actions ---------------------------------------------------------------------------------

  add('GET', '/actions', (req) => {
    // Listing every action without ids was removed from the API (2025-01-30).
    if (req.query.getAll('id').length === 0) throw invalidField('id', 'is required');
    return list(req, 'actions', filterActions(req, actions.all()), actionSortKeys, actionJson);
  });
  add('GET', '/actions/:id', (req) => {
    const action = actions.get(idParam(req));
    if (action === undefined) throw notFound('action');
    return { status: 200, body: { action: actionJson(action) } };
  });
}
