import { RESOURCE_PROVIDER_KINDS, TENANT_STATUSES, type AdminCredentialsView } from '@fedops/contracts';
import type { ApiResponse } from '../api-client';
import type {
  BlockingOperation,
  CatalogApp,
  TenantChangePreview,
  TenantView,
  UpdateTenantRequest,
} from '../api-types';
import { arg, flagValue, listValue, stringValue, type CommandContext, type CommandNode } from '../command';
import { ApiError, CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { LIST_OPTIONS, notice, print, printJson, printList } from '../output';
import type { Session } from '../session';
import { age, renderFields, type Column } from '../table';
import {
  RequestBuildError,
  buildCreateTenantBody,
  buildUpdateTenantBody,
  type UpdateTenantFlags,
} from '../tenant-request';
import {
  IDEMPOTENCY_OPTION,
  WAIT_OPTIONS,
  confirm,
  idempotencyKey,
  readJsonFile,
  follow,
  requireSuccess,
  waitChoice,
  when,
} from './shared';

const tenantPath = (id: string): string => `/v1/tenants/${encodeURIComponent(id)}`;

function tenantColumns(now: number): Column<TenantView>[] {
  return [
    { header: 'ID', value: (t) => t.id },
    { header: 'DOMAIN', value: (t) => t.domain },
    { header: 'STATUS', value: (t) => t.status },
    { header: 'APPS', value: (t) => t.apps.map((a) => a.app).join(',') || '-' },
    { header: 'ORG', value: (t) => t.org },
    { header: 'AGE', value: (t) => age(t.createdAt, now) },
  ];
}

export function renderTenant(t: TenantView, now: number): string {
  const apps = t.apps
    .map((a) => {
      const options = Object.entries(a.options ?? {}).map(([k, v]) => `${k}=${String(v)}`);
      return `${a.app}  ${a.url}${options.length === 0 ? '' : `  (${options.join(', ')})`}`;
    })
    .join('\n');
  return renderFields([
    ['ID', t.id],
    ['Domain', t.domain],
    ['Org', t.org],
    ['Status', t.status],
    ['Provider', t.placement === undefined ? t.provider : `${t.placement.provider} (${t.provider})`],
    [
      'Placement',
      t.placement === undefined
        ? undefined
        : `${t.placement.location}, plan ${t.placement.plan}: ${t.placement.reason}`,
    ],
    ['Apps', apps === '' ? '-' : apps],
    ['Operation', `${t.operation.id}  (fedops operations get ${t.operation.id})`],
    ['Error', t.error],
    ['Created', when(t.createdAt, now)],
    ['Updated', when(t.updatedAt, now)],
  ]);
}

const list: CommandNode = {
  name: 'list',
  aliases: ['ls'],
  summary: "List tenants (operators: their organisation's; ops staff: all)",
  options: {
    status: {
      type: 'string',
      value: '<status>',
      choices: TENANT_STATUSES,
      description: 'only tenants in this status',
    },
    provider: {
      type: 'string',
      value: '<provider>',
      choices: RESOURCE_PROVIDER_KINDS,
      description: 'only tenants on this resource provider',
    },
    org: { type: 'string', value: '<org>', description: 'only tenants of this organisation (ops staff)' },
    ...LIST_OPTIONS,
  },
  examples: [
    'fedops tenants list --status ready',
    "fedops tenants list --all --json | jq -r '.items[].domain'",
  ],
  run: async (ctx) => {
    const session = await ctx.session();
    await printList<TenantView>(
      ctx,
      session,
      '/v1/tenants',
      {
        status: stringValue(ctx, 'status'),
        provider: stringValue(ctx, 'provider'),
        org: stringValue(ctx, 'org'),
      },
      tenantColumns(ctx.io.now()),
      'tenants',
    );
  },
};

const get: CommandNode = {
  name: 'get',
  aliases: ['show'],
  summary: 'Show a tenant: its apps and their URLs, status, latest operation',
  args: [{ name: 'tenant', required: true, description: 'the tenant id' }],
  run: async (ctx) => {
    const session = await ctx.session();
    const res = await session.api.get<TenantView>(tenantPath(arg(ctx, 0)));
    if (ctx.json) printJson(ctx, res);
    else print(ctx, renderTenant(res.body, ctx.io.now()));
  },
};

/** The catalog when option values are given, to type them (a boolean option gets `true`, not "true"); the server validates. */
async function catalogFor(session: Session, needed: boolean): Promise<CatalogApp[] | undefined> {
  if (!needed) return undefined;
  return (await session.api.get<{ items: CatalogApp[] }>('/v1/apps')).body.items;
}

/** Runs a request builder; what it refuses is a usage error (found before anything is sent). */
function built<T>(ctx: CommandContext, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RequestBuildError) throw ctx.usage(err.message);
    throw err;
  }
}

const create: CommandNode = {
  name: 'create',
  summary: 'Create a tenant and start deploying its apps',
  description:
    'Create a tenant: its domain and apps with options. The server answers at once (status provisioning) and ' +
    'deploys in the background; with --wait, follow the deployment with a progress display until it ends.',
  options: {
    domain: { type: 'string', value: '<domain>', description: "the tenant's domain, e.g. demo.example.net" },
    app: {
      type: 'string',
      multiple: true,
      value: '<app>',
      description: 'an app to deploy (see `fedops apps list`)',
    },
    option: {
      type: 'string',
      multiple: true,
      value: '<app.option=value>',
      description: "an app's option, e.g. mastodon.singleUserMode=true (see `fedops apps get <app>`)",
    },
    org: {
      type: 'string',
      value: '<org>',
      description: 'the organisation (ops staff; operators create in their own)',
    },
    plan: {
      type: 'string',
      value: '<plan>',
      description: "the machine size, a plan the providers offer, e.g. small (default: the server's, small)",
    },
    provider: {
      type: 'string',
      value: '<name>',
      description: 'the registered provider to place the machine on (see `fedops providers list`)',
    },
    location: {
      type: 'string',
      value: '<location>',
      description: 'the region, location or node to place it in (default: placement chooses)',
    },
    file: {
      type: 'string',
      value: '<file>',
      description: 'the request body as JSON (`-` for stdin); the flags above add to it',
    },
    ...IDEMPOTENCY_OPTION,
    ...WAIT_OPTIONS,
  },
  examples: [
    'fedops tenants create --domain demo.example.net --app mastodon --option mastodon.singleUserMode=true --wait',
    'fedops tenants create --domain demo.example.net --app gotosocial --plan medium --provider hetzner-main --location fsn1',
    'fedops tenants create --file tenant.json --json',
  ],
  run: async (ctx) => {
    const file = stringValue(ctx, 'file');
    const flags = {
      ...(file === undefined ? {} : { file: await readJsonFile(ctx, file) }),
      domain: stringValue(ctx, 'domain'),
      org: stringValue(ctx, 'org'),
      plan: stringValue(ctx, 'plan'),
      provider: stringValue(ctx, 'provider'),
      location: stringValue(ctx, 'location'),
      apps: listValue(ctx, 'app'),
      options: listValue(ctx, 'option'),
    };
    const untyped = built(ctx, () => buildCreateTenantBody(flags));
    const key = idempotencyKey(ctx);
    const choice = waitChoice(ctx);
    const session = await ctx.session();
    const catalog = await catalogFor(session, flags.options.length > 0);
    const body = catalog === undefined ? untyped : built(ctx, () => buildCreateTenantBody(flags, catalog));
    const created = await session.api.post<TenantView>('/v1/tenants', body, key);
    const tenant = created.body;
    if (!choice.wait) {
      printStarted(ctx, created);
      return;
    }
    notice(
      ctx,
      `Tenant ${tenant.id} (${tenant.domain}) created; deploying (operation ${tenant.operation.id})`,
    );
    const op = await follow(ctx, session, tenant.operation.id, choice);
    const final = await session.api.get<TenantView>(tenantPath(tenant.id));
    if (ctx.json) printJson(ctx, final);
    else print(ctx, renderTenant(final.body, ctx.io.now()));
    requireSuccess(op.body);
  },
};

/** 412: the tenant changed between this command's GET and its PATCH. */
class TenantChangedError extends ApiError {
  constructor(err: ApiError, tenantId: string) {
    super(err.status, err.body, err.method, err.path, [
      'run the command again: it reads the tenant as it is now and sends the change for that version',
    ]);
    this.name = 'TenantChangedError';
    this.message = `tenant ${tenantId} was changed by someone else while this command ran, so nothing was changed (412 ${this.problem?.code ?? 'PRECONDITION_FAILED'})`;
  }
}

/** The running operation a 409 names (its `operation` extension), if it names one. */
function blockingOperation(body: string): BlockingOperation | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  const op = (value as { operation?: unknown } | null)?.operation;
  if (typeof op !== 'object' || op === null) return undefined;
  const { id, kind, href } = op as Record<string, unknown>;
  if (typeof id !== 'string' || typeof kind !== 'string') return undefined;
  return {
    id,
    kind: kind as BlockingOperation['kind'],
    href: typeof href === 'string' ? href : `/v1/operations/${id}`,
  };
}

/** PATCH with the ETag read; a stale ETag and a running operation are reported for people. */
async function patchTenant<T>(
  session: Session,
  id: string,
  body: UpdateTenantRequest,
  etag: string,
  dryRun: boolean,
): Promise<ApiResponse<T>> {
  try {
    return await session.api.patch<T>(tenantPath(id), body, etag, dryRun ? { dryRun: 'true' } : undefined);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 412) throw new TenantChangedError(err, id);
    const op = err.status === 409 ? blockingOperation(err.body) : undefined;
    if (op === undefined) throw err;
    throw new ApiError(err.status, err.body, err.method, err.path, [
      `operation ${op.id} (${op.kind}, ${op.href}) is running on the tenant`,
      `follow it with \`fedops operations watch ${op.id}\` (or cancel it with \`fedops operations cancel ${op.id}\`), then run this command again`,
    ]);
  }
}

const listed = (items: readonly string[]): string => (items.length === 0 ? '-' : items.join(', '));

/** A dry run for people: what would start, the apps and DNS names, then each file's unified diff. */
function renderChangePreview(preview: TenantChangePreview): string {
  const files = preview.configuration.files;
  const summary = renderFields([
    ['Operation', `${preview.operation.kind} (not started: dry run)`],
    ['Apps added', listed(preview.apps.added)],
    ['Apps removed', listed(preview.apps.removed)],
    ['Apps changed', listed(preview.apps.changed)],
    ['DNS added', listed(preview.dns.added)],
    ['DNS removed', listed(preview.dns.removed)],
    [
      'Files',
      files.length === 0
        ? 'the configuration renders the same'
        : files.map((f) => `${f.path} (${f.change})`).join('\n'),
    ],
  ]);
  const diffs = files.map((f) => (f.diff.endsWith('\n') ? f.diff : `${f.diff}\n`));
  return [summary, ...diffs].join('\n');
}

const update: CommandNode = {
  name: 'update',
  summary: "Change a tenant's apps: add and remove apps, set and unset their options",
  description:
    "Change a tenant's apps in one operation: add apps (with options, as `create` takes them), remove apps, and " +
    "set options of the tenant's apps or put them back to their defaults. The command reads the tenant and sends " +
    'the change for the version it read (If-Match): when someone changed the tenant meanwhile nothing is ' +
    'changed, and running the command again applies the change to the new version. A running tenant gets an ' +
    'update operation, which deploys the new configuration and puts the previous one back if it fails; with ' +
    '--wait, follow it with a progress display until it ends. Removing an app that holds data (files or a ' +
    'database) takes that data away: name it with --confirm-removal as well. With --dry-run the server checks ' +
    'the change and shows what it would do (the operation, the apps and DNS names added and removed, a diff of ' +
    'each file of the configuration) and nothing is changed.',
  args: [{ name: 'tenant', required: true, description: 'the tenant id' }],
  options: {
    add: {
      type: 'string',
      multiple: true,
      value: '<app>',
      description: 'an app to add (see `fedops apps list`)',
    },
    option: {
      type: 'string',
      multiple: true,
      value: '<app.option=value>',
      description: 'an option of an app added, e.g. matrix.turn=false (see `fedops apps get <app>`)',
    },
    remove: { type: 'string', multiple: true, value: '<app>', description: 'an app to remove' },
    set: {
      type: 'string',
      multiple: true,
      value: '<app.option=value>',
      description: "an option of one of the tenant's apps to change, e.g. mastodon.registrations=closed",
    },
    unset: {
      type: 'string',
      multiple: true,
      value: '<app.option>',
      description:
        "an option of one of the tenant's apps to put back to its default, e.g. mastodon.singleUserMode",
    },
    'confirm-removal': {
      type: 'string',
      multiple: true,
      value: '<app>',
      description: 'an app removed whose data (files, database) goes with it; needed for apps that hold data',
    },
    'dry-run': {
      type: 'boolean',
      description:
        'show what the change would do (operation, apps, DNS names, configuration diff); change nothing',
    },
    ...WAIT_OPTIONS,
  },
  examples: [
    'fedops tenants update 6f1c...e2 --add matrix --option matrix.turn=false --dry-run',
    'fedops tenants update 6f1c...e2 --set mastodon.registrations=closed --unset mastodon.singleUserMode --wait',
    'fedops tenants update 6f1c...e2 --remove forgejo --confirm-removal forgejo',
  ],
  run: async (ctx) => {
    const id = arg(ctx, 0);
    const flags: UpdateTenantFlags = {
      add: listValue(ctx, 'add'),
      options: listValue(ctx, 'option'),
      remove: listValue(ctx, 'remove'),
      set: listValue(ctx, 'set'),
      unset: listValue(ctx, 'unset'),
      confirmRemoval: listValue(ctx, 'confirm-removal'),
    };
    const untyped = built(ctx, () => buildUpdateTenantBody(flags));
    const dryRun = flagValue(ctx, 'dry-run');
    const choice = waitChoice(ctx);
    if (dryRun && choice.wait) throw ctx.usage('--wait does not go with --dry-run: a dry run starts nothing');
    const session = await ctx.session();
    const catalog = await catalogFor(session, flags.options.length + flags.set.length > 0);
    const body = catalog === undefined ? untyped : built(ctx, () => buildUpdateTenantBody(flags, catalog));

    // The version the change is made against: a change made meanwhile makes the PATCH fail (412).
    const current = await session.api.get<TenantView>(tenantPath(id));
    const etag = current.headers.get('etag');
    if (etag === null) {
      throw new CliError(
        `the server sent no ETag with tenant ${id}, which a change must name (its tenant-api predates \`tenants update\`)`,
        ExitCode.Failed,
      );
    }

    if (dryRun) {
      const preview = await patchTenant<TenantChangePreview>(session, id, body, etag, true);
      if (ctx.json) printJson(ctx, preview);
      else print(ctx, renderChangePreview(preview.body));
      notice(ctx, 'Dry run: nothing was changed. Run the command without --dry-run to make the change.');
      return;
    }
    const changed = await patchTenant<TenantView>(session, id, body, etag, false);
    const tenant = changed.body;
    if (!choice.wait) {
      printStarted(ctx, changed);
      return;
    }
    notice(ctx, `Tenant ${tenant.id} (${tenant.domain}) changing (operation ${tenant.operation.id})`);
    const op = await follow(ctx, session, tenant.operation.id, choice);
    const final = await session.api.get<TenantView>(tenantPath(tenant.id));
    if (ctx.json) printJson(ctx, final);
    else print(ctx, renderTenant(final.body, ctx.io.now()));
    requireSuccess(op.body);
  },
};

const reconcile: CommandNode = {
  name: 'reconcile',
  summary: "Put a tenant's desired configuration back on its machine (after drift)",
  description:
    "Deploys the tenant's apps as they are again, with their DNS records, as a reconcile operation: for a " +
    'tenant whose machine drifted (`fedops tenants get` shows it: someone ran a rebuild or a rollback on the ' +
    'machine by hand) or to repair one. With --wait, follow it with a progress display until it ends.',
  args: [{ name: 'tenant', required: true, description: 'the tenant id' }],
  options: { ...IDEMPOTENCY_OPTION, ...WAIT_OPTIONS },
  examples: ['fedops tenants reconcile 6f1c...e2 --wait'],
  run: async (ctx) => {
    const id = arg(ctx, 0);
    const choice = waitChoice(ctx);
    const session = await ctx.session();
    const started = await session.api.post<TenantView>(
      `${tenantPath(id)}/reconcile`,
      undefined,
      idempotencyKey(ctx),
    );
    if (!choice.wait) {
      printStarted(ctx, started);
      return;
    }
    const tenant = started.body;
    notice(ctx, `Tenant ${tenant.id} (${tenant.domain}) reconciling (operation ${tenant.operation.id})`);
    const op = await follow(ctx, session, tenant.operation.id, choice);
    const final = await session.api.get<TenantView>(tenantPath(tenant.id));
    if (ctx.json) printJson(ctx, final);
    else print(ctx, renderTenant(final.body, ctx.io.now()));
    requireSuccess(op.body);
  },
};

/** A change that started an operation the command does not wait for: the answer, and how to follow it. */
function printStarted(ctx: CommandContext, answer: ApiResponse<TenantView>): void {
  const tenant = answer.body;
  if (ctx.json) {
    printJson(ctx, answer);
    return;
  }
  print(ctx, `Tenant ${tenant.id} (${tenant.domain}) is ${tenant.status}; operation ${tenant.operation.id}.`);
  notice(ctx, `Follow it with: fedops operations watch ${tenant.operation.id}`);
}

const remove: CommandNode = {
  name: 'delete',
  aliases: ['rm'],
  summary: 'Delete a tenant: its machine, DNS records, deployment and backups',
  args: [{ name: 'tenant', required: true, description: 'the tenant id' }],
  options: {
    yes: {
      type: 'boolean',
      short: 'y',
      description: 'do not ask for confirmation (needed when not on a terminal)',
    },
    ...WAIT_OPTIONS,
  },
  examples: ['fedops tenants delete 6f1c...e2 --yes --wait'],
  run: async (ctx) => {
    const id = arg(ctx, 0);
    const choice = waitChoice(ctx);
    const session = await ctx.session();
    await confirm(ctx, `Delete tenant ${id} with its machine, DNS records, deployment and backups?`);
    const deleted = await session.api.delete<TenantView>(tenantPath(id));
    const tenant = deleted.body;
    // 200: it was deleted already; nothing to follow.
    const op =
      deleted.status === 202 && choice.wait
        ? await follow(ctx, session, tenant.operation.id, choice)
        : undefined;
    const final = op === undefined ? deleted : await session.api.get<TenantView>(tenantPath(id));
    if (ctx.json) printJson(ctx, final);
    else if (op === undefined && deleted.status === 202) printStarted(ctx, deleted);
    else print(ctx, `Tenant ${final.body.id} (${final.body.domain}) is ${final.body.status}.`);
    requireSuccess(op?.body);
  },
};

/** What the command says around the credentials it shows, on stderr (stdout has only the account). */
export const SHOWN_ONCE_WARNING =
  'Shown once: the server will not show this password again. Store it now (e.g. in a password manager) ' +
  'or change it after signing in.';

const adminCredentials: CommandNode = {
  name: 'admin-credentials',
  summary: "Show the first admin account of a tenant's app with its password (only once)",
  description:
    'The account the first deployment created in the app (for apps with accounts), with the password fedops ' +
    'generated for it. The server shows it once: every later request is refused (410) with the time it was ' +
    'revealed, and the audit log says who revealed it.',
  args: [
    { name: 'tenant', required: true, description: 'the tenant id' },
    { name: 'app', required: true, description: 'one of its apps, e.g. forgejo' },
  ],
  examples: [
    'fedops tenants admin-credentials 6f1c...e2 forgejo',
    'fedops tenants admin-credentials 6f1c...e2 mastodon --json | jq -r .password',
  ],
  run: async (ctx) => {
    const [tenant, app] = [arg(ctx, 0), arg(ctx, 1)];
    const session = await ctx.session();
    const res = await session.api.post<AdminCredentialsView>(
      `${tenantPath(tenant)}/apps/${encodeURIComponent(app)}/admin-credentials`,
    );
    if (ctx.json) printJson(ctx, res);
    else
      print(
        ctx,
        renderFields([
          ['App', res.body.app],
          ['Sign in at', res.body.loginUrl],
          ['Username', res.body.username],
          ['E-mail', res.body.email],
          ['Password', res.body.password],
        ]),
      );
    notice(ctx, SHOWN_ONCE_WARNING);
  },
};

export const tenantsCommand: CommandNode = {
  name: 'tenants',
  aliases: ['tenant'],
  summary: "Create, list, show, change and delete tenants; reveal their apps' admin accounts",
  children: [list, get, create, update, reconcile, remove, adminCredentials],
};
