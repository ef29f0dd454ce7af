// Commands for API resources that tenant-api is still growing: API tokens (/v1/tokens) and backups
// (/v1/tenants/{id}/backups). Backups have no server side yet: they show whatever fields the server
// sends, and a server without the endpoint answers 404 "Cannot GET ...", which the command reports as
// "not available on this server" (exit 4).
import type { ApiResponse } from '../api-client';
import {
  arg,
  durationValue,
  listValue,
  stringValue,
  type CommandContext,
  type CommandNode,
} from '../command';
import { LIST_OPTIONS, notice, print, printJson, printList } from '../output';
import { relative, renderFields, type Column } from '../table';
import {
  IDEMPOTENCY_OPTION,
  WAIT_OPTIONS,
  confirm,
  follow,
  idempotencyKey,
  requireSuccess,
  waitChoice,
} from './shared';

type Resource = Record<string, unknown>;

function scalar(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (Array.isArray(value)) return value.map(scalar).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The columns for a list of resources whose shape this command does not know: the usual fields present. */
export function columnsFor(
  items: readonly Resource[],
  preferred: readonly string[],
  now: number,
): Column<Resource>[] {
  const present = preferred.filter((key) => items.some((item) => item[key] !== undefined));
  // None of the usual fields: the first item's own (a few), so the table is never empty.
  const keys =
    present.length > 0
      ? present
      : Object.keys(items[0] ?? {})
          .filter((k) => k !== 'links')
          .slice(0, 6);
  return keys.map((key) => ({
    header: key.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase(),
    value: (item: Resource) =>
      /At$/.test(key) && typeof item[key] === 'string' ? relative(item[key], now) : scalar(item[key]),
  }));
}

function renderResource(item: Resource): string {
  return renderFields(
    Object.entries(item)
      .filter(([key]) => key !== 'links')
      .map(([key, value]) => [key, scalar(value)]),
  );
}

/** A list whose columns are picked from the fields its items have. */
async function genericList(
  ctx: CommandContext,
  path: string,
  noun: string,
  preferred: readonly string[],
): Promise<void> {
  const session = await ctx.session();
  await printList<Resource>(
    ctx,
    session,
    path,
    {},
    (items) => columnsFor(items, preferred, ctx.io.now()),
    noun,
  );
}

function describeAnswer(ctx: CommandContext, res: ApiResponse<Resource>): void {
  if (ctx.json) printJson(ctx, res);
  else print(ctx, renderResource(res.body));
}

/** An API token as GET /v1/tokens shows it (POST adds `token`, the secret, once). */
interface ApiTokenView {
  id: string;
  name: string;
  status: string;
  scopes: string[];
  org?: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt?: string;
  token?: string;
}

function tokenColumns(now: number): Column<ApiTokenView>[] {
  return [
    { header: 'ID', value: (t) => t.id },
    { header: 'NAME', value: (t) => t.name },
    { header: 'STATUS', value: (t) => t.status },
    { header: 'SCOPES', value: (t) => t.scopes.join(',') },
    { header: 'ORG', value: (t) => t.org ?? '-' },
    { header: 'EXPIRES', value: (t) => relative(t.expiresAt, now) },
    {
      header: 'LAST USED',
      value: (t) => (t.lastUsedAt === undefined ? 'never' : relative(t.lastUsedAt, now)),
    },
  ];
}

/** `--expires-in`: seconds, from 90s, 5m, 12h or 30d. */
function expiresInSeconds(ctx: CommandContext): number | undefined {
  const raw = stringValue(ctx, 'expires-in');
  if (raw === undefined) return undefined;
  const days = /^(\d{1,4})d$/.exec(raw)?.[1];
  if (days !== undefined) return Number(days) * 86_400;
  const ms = durationValue(ctx, 'expires-in');
  return ms === undefined ? undefined : ms / 1000;
}

export const tokensCommand: CommandNode = {
  name: 'tokens',
  aliases: ['token'],
  summary: 'API tokens for scripts and automation',
  children: [
    {
      name: 'list',
      aliases: ['ls'],
      summary: 'List your API tokens (active, expired and revoked)',
      options: {
        org: { type: 'string', value: '<org>', description: 'every token of this organisation (ops staff)' },
        ...LIST_OPTIONS,
      },
      run: async (ctx) => {
        const session = await ctx.session();
        await printList<ApiTokenView>(
          ctx,
          session,
          '/v1/tokens',
          { org: stringValue(ctx, 'org') },
          tokenColumns(ctx.io.now()),
          'tokens',
        );
      },
    },
    {
      name: 'create',
      summary: 'Create an API token; it is shown this once',
      description:
        'Create an API token (fdo_...) with the given scopes, at most those of your own token, and your role and ' +
        'organisation. It is shown only in this answer: keep it, e.g. as FEDOPS_TOKEN in a CI secret. Creating ' +
        'one needs a login through the identity provider, not another API token.',
      options: {
        name: { type: 'string', value: '<name>', description: 'what the token is for, e.g. "ci deploys"' },
        scope: {
          type: 'string',
          multiple: true,
          value: '<scope>',
          description: 'a scope it may use, e.g. tenants:read, tenants:write, operations:write',
        },
        'expires-in': {
          type: 'string',
          value: '<duration>',
          description: "how long it is valid: 90s, 5m, 12h or 30d (default: the server's, 30 days)",
        },
        ...IDEMPOTENCY_OPTION,
      },
      examples: [
        'fedops tokens create --name ci --scope tenants:read --scope tenants:write --expires-in 90d',
      ],
      run: async (ctx) => {
        const name = stringValue(ctx, 'name');
        if (name === undefined) throw ctx.usage('tokens create needs --name');
        const scopes = listValue(ctx, 'scope');
        if (scopes.length === 0) throw ctx.usage('tokens create needs at least one --scope');
        const expiresIn = expiresInSeconds(ctx);
        const key = idempotencyKey(ctx);
        const session = await ctx.session();
        const res = await session.api.post<ApiTokenView>(
          '/v1/tokens',
          { name, scopes, ...(expiresIn === undefined ? {} : { expiresIn }) },
          key,
        );
        if (ctx.json) {
          printJson(ctx, res);
          return;
        }
        const t = res.body;
        print(
          ctx,
          renderFields([
            ['ID', t.id],
            ['Name', t.name],
            ['Scopes', t.scopes.join(', ')],
            ['Expires', `${t.expiresAt} (${relative(t.expiresAt, ctx.io.now())})`],
            ['Token', t.token],
          ]),
        );
        notice(ctx, 'The token is shown only this once. Use it as FEDOPS_TOKEN, or: fedops login --token -');
      },
    },
    {
      name: 'revoke',
      aliases: ['delete', 'rm'],
      summary: 'Revoke an API token (it stops working at once)',
      args: [{ name: 'token', required: true, description: 'the token id (the part after fdo_)' }],
      options: { yes: { type: 'boolean', short: 'y', description: 'do not ask for confirmation' } },
      run: async (ctx) => {
        const id = arg(ctx, 0);
        const session = await ctx.session();
        await confirm(ctx, `Revoke API token ${id}? Whatever uses it stops working.`);
        const res = await session.api.delete<ApiTokenView>(`/v1/tokens/${encodeURIComponent(id)}`);
        if (ctx.json) printJson(ctx, res);
        else print(ctx, `Token ${res.body.id} (${res.body.name}) is ${res.body.status}.`);
      },
    },
  ],
};

const backupsPath = (tenant: string): string => `/v1/tenants/${encodeURIComponent(tenant)}/backups`;

export const backupsCommand: CommandNode = {
  name: 'backups',
  aliases: ['backup'],
  summary: "A tenant's backups (GET/POST /v1/tenants/{id}/backups)",
  children: [
    {
      name: 'list',
      aliases: ['ls'],
      summary: "List a tenant's backups (snapshots)",
      args: [{ name: 'tenant', required: true, description: 'the tenant id' }],
      options: LIST_OPTIONS,
      run: (ctx) =>
        genericList(ctx, backupsPath(arg(ctx, 0)), 'backups', [
          'id',
          'status',
          'size',
          'createdAt',
          'finishedAt',
        ]),
    },
    {
      name: 'create',
      summary: 'Back a tenant up now',
      args: [{ name: 'tenant', required: true, description: 'the tenant id' }],
      options: { ...IDEMPOTENCY_OPTION, ...WAIT_OPTIONS },
      run: async (ctx) => {
        const key = idempotencyKey(ctx);
        const choice = waitChoice(ctx);
        const session = await ctx.session();
        const res = await session.api.post<Resource>(backupsPath(arg(ctx, 0)), undefined, key);
        const operation = res.body['operation'] as { id?: unknown } | undefined;
        const operationId = typeof operation?.id === 'string' ? operation.id : res.body['operationId'];
        if (!choice.wait || typeof operationId !== 'string') {
          if (choice.wait) notice(ctx, 'the answer names no operation to follow');
          describeAnswer(ctx, res);
          return;
        }
        const op = await follow(ctx, session, operationId, choice);
        if (ctx.json) printJson(ctx, op);
        else print(ctx, `Backup operation ${op.body.id} ${op.body.status}.`);
        requireSuccess(op.body);
      },
    },
  ],
};
