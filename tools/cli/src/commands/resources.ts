// Commands for API tokens (/v1/tokens). A server without an endpoint answers 404 "Cannot GET ...",
// which a command reports as "not available on this server" (exit 4).
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
import { IDEMPOTENCY_OPTION, confirm, idempotencyKey } from './shared';

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
