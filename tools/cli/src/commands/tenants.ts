import { RESOURCE_PROVIDER_KINDS, TENANT_STATUSES, type AdminCredentialsView } from '@fedops/contracts';
import type { CatalogApp, TenantView } from '../api-types';
import { arg, listValue, stringValue, type CommandContext, type CommandNode } from '../command';
import { LIST_OPTIONS, notice, print, printJson, printList } from '../output';
import type { Session } from '../session';
import { age, renderFields, type Column } from '../table';
import { RequestBuildError, buildCreateTenantBody } from '../tenant-request';
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

async function catalogFor(ctx: CommandContext, session: Session): Promise<CatalogApp[] | undefined> {
  if (listValue(ctx, 'option').length === 0) return undefined;
  // Only to type the option values (a boolean option gets `true`, not "true"); the server validates.
  return (await session.api.get<{ items: CatalogApp[] }>('/v1/apps')).body.items;
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
    // A bad command line is found before anything is sent.
    const check = (fn: () => Record<string, unknown>): Record<string, unknown> => {
      try {
        return fn();
      } catch (err) {
        if (err instanceof RequestBuildError) throw ctx.usage(err.message);
        throw err;
      }
    };
    const untyped = check(() => buildCreateTenantBody(flags));
    const key = idempotencyKey(ctx);
    const choice = waitChoice(ctx);
    const session = await ctx.session();
    const catalog = await catalogFor(ctx, session);
    const body = catalog === undefined ? untyped : check(() => buildCreateTenantBody(flags, catalog));
    const created = await session.api.post<TenantView>('/v1/tenants', body, key);
    const tenant = created.body;
    if (!choice.wait) {
      if (ctx.json) printJson(ctx, created);
      else {
        print(
          ctx,
          `Tenant ${tenant.id} (${tenant.domain}) is ${tenant.status}; operation ${tenant.operation.id}.`,
        );
        notice(ctx, `Follow it with: fedops operations watch ${tenant.operation.id}`);
      }
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
    else if (op === undefined && deleted.status === 202) {
      print(
        ctx,
        `Tenant ${tenant.id} (${tenant.domain}) is ${tenant.status}; operation ${tenant.operation.id}.`,
      );
      notice(ctx, `Follow it with: fedops operations watch ${tenant.operation.id}`);
    } else print(ctx, `Tenant ${final.body.id} (${final.body.domain}) is ${final.body.status}.`);
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
  summary: "Create, list, show and delete tenants; reveal their apps' admin accounts",
  children: [list, get, create, remove, adminCredentials],
};
