import { RESOURCE_PROVIDER_KINDS, PROVIDER_STATUSES } from '@fedops/contracts';
import type { ApiResponse } from '../api-client';
import type { ProviderView } from '../api-types';
import { arg, stringValue, type CommandContext, type CommandNode } from '../command';
import { ApiError, CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { LIST_OPTIONS, notice, print, printJson, printList } from '../output';
import { relative, renderFields, type Column } from '../table';
import { IDEMPOTENCY_OPTION, confirm, idempotencyKey, readJsonFile, when } from './shared';

/** Registration and a test run the provider's connection test: the server gives it 30 s, then answers. */
export const CONNECTION_TEST_TIMEOUT_MS = 60_000;

const providerPath = (ref: string): string => `/v1/providers/${encodeURIComponent(ref)}`;

function providerColumns(): Column<ProviderView>[] {
  return [
    { header: 'NAME', value: (p) => p.name },
    { header: 'KIND', value: (p) => p.kind },
    { header: 'LOCATIONS', value: (p) => p.locations.join(',') || '-' },
    { header: 'STATUS', value: (p) => p.status },
    { header: 'MACHINES', value: (p) => String(p.usage.machines) },
    { header: 'CHECK', value: (p) => (p.lastCheck === null ? 'never' : p.lastCheck.ok ? 'ok' : 'failed') },
  ];
}

function lastCheck(p: ProviderView, now: number): string {
  if (p.lastCheck === null) return 'never tested';
  const { ok, at, message } = p.lastCheck;
  return `${ok ? 'ok' : 'failed'}: ${message} (${relative(at, now)})`;
}

export function renderProvider(p: ProviderView, now: number): string {
  const quotas = Object.entries(p.quotas).map(([k, v]) => `${k} ${String(v)}`);
  const settings = Object.entries(p.settings).map(([k, v]) => `${k}=${v}`);
  return renderFields([
    ['ID', p.id],
    ['Name', p.name],
    ['Kind', p.kind],
    ['Endpoint', p.endpoint ?? "(the vendor's)"],
    ['Locations', p.locations.join(', ')],
    [
      'Plans',
      p.plans
        .map(
          (plan) =>
            `${plan.name}  ${plan.vcpus} vCPU, ${plan.memoryMiB} MiB, ${plan.diskGiB} GiB` +
            (plan.size === undefined ? '' : `  (${plan.size})`),
        )
        .join('\n'),
    ],
    ['Image', p.image],
    ['Settings', settings.length === 0 ? undefined : settings.join(', ')],
    ['Quotas', quotas.length === 0 ? 'none' : quotas.join(', ')],
    ['Status', p.status],
    ['Credentials', p.credentialFields.length === 0 ? 'none' : `${p.credentialFields.join(', ')} (set)`],
    ['Last check', lastCheck(p, now)],
    ['Usage', `${p.usage.machines} machines, ${p.usage.vcpus} vCPU, ${p.usage.memoryMiB} MiB`],
    ['Created', when(p.createdAt, now)],
    ['Updated', when(p.updatedAt, now)],
  ]);
}

function show(ctx: CommandContext, res: ApiResponse<ProviderView>): void {
  if (ctx.json) printJson(ctx, res);
  else print(ctx, renderProvider(res.body, ctx.io.now()));
}

/**
 * A refused removal names what the provider still holds in members of the problem (`machines`,
 * `tenants`): shown as hints under the problem's own words.
 */
export function holdingHints(body: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return [];
  }
  if (typeof value !== 'object' || value === null) return [];
  const { machines, tenants } = value as { machines?: unknown; tenants?: unknown };
  const hints: string[] = [];
  if (Array.isArray(machines)) {
    for (const m of machines as Array<Record<string, unknown>>) {
      hints.push(`it holds machine ${String(m['name'] ?? m['id'])} of tenant ${String(m['tenantId'])}`);
    }
  }
  if (Array.isArray(tenants)) {
    for (const t of tenants) hints.push(`tenant ${String(t)} is placed there`);
  }
  if (hints.length > 0) hints.push('delete those tenants first (fedops tenants delete <tenant>)');
  return hints;
}

const list: CommandNode = {
  name: 'list',
  aliases: ['ls'],
  summary: 'List the resource providers (ops staff)',
  options: {
    kind: {
      type: 'string',
      value: '<kind>',
      choices: RESOURCE_PROVIDER_KINDS,
      description: 'only providers of this kind',
    },
    status: {
      type: 'string',
      value: '<status>',
      choices: PROVIDER_STATUSES,
      description: 'only providers in this status',
    },
    ...LIST_OPTIONS,
  },
  run: async (ctx) => {
    const session = await ctx.session();
    await printList<ProviderView>(
      ctx,
      session,
      '/v1/providers',
      { kind: stringValue(ctx, 'kind'), status: stringValue(ctx, 'status') },
      providerColumns(),
      'providers',
    );
  },
};

const get: CommandNode = {
  name: 'get',
  aliases: ['show'],
  summary: 'Show a resource provider: locations, plans, quotas, usage, the last connection test',
  args: [{ name: 'provider', required: true, description: "the provider's name or id" }],
  run: async (ctx) => {
    const session = await ctx.session();
    show(ctx, await session.api.get<ProviderView>(providerPath(arg(ctx, 0))));
  },
};

const register: CommandNode = {
  name: 'register',
  aliases: ['create'],
  summary: 'Register a resource provider from a JSON file (its connection test runs first)',
  description:
    'Register a resource provider: the POST /v1/providers body as JSON in --file (`-` for stdin), with its ' +
    'name, kind, endpoint, credentials, locations, plans, image, settings and quotas. The server runs a ' +
    'connection test with the credentials first (up to 30 s); a refused credential, an unreachable endpoint ' +
    'or a location, size or image the provider does not offer is reported field by field, and nothing is ' +
    'registered. Credentials are never shown again.',
  options: {
    file: {
      type: 'string',
      value: '<file>',
      description: 'the registration as JSON (`-` for stdin)',
    },
    ...IDEMPOTENCY_OPTION,
  },
  examples: [
    'fedops providers register --file hetzner-main.json',
    'jq -n --arg t "$HCLOUD_TOKEN" \'{name:"hetzner-main",kind:"hetzner",credentials:{token:$t},...}\' | fedops providers register --file -',
  ],
  run: async (ctx) => {
    const file = stringValue(ctx, 'file');
    if (file === undefined) throw ctx.usage('providers register needs --file <file> (or --file - for stdin)');
    const body = await readJsonFile(ctx, file);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw ctx.usage(`--file ${file} must hold a JSON object (the POST /v1/providers body)`);
    }
    const key = idempotencyKey(ctx);
    const session = await ctx.session();
    const res = await session.api.request<ProviderView>('POST', '/v1/providers', {
      body,
      idempotencyKey: key,
      timeoutMs: CONNECTION_TEST_TIMEOUT_MS,
    });
    show(ctx, res);
    if (!ctx.json) notice(ctx, `Provider ${res.body.name} is registered; its connection test passed.`);
  },
};

const test: CommandNode = {
  name: 'test',
  summary: "Run a provider's connection test again; exit 1 when it fails",
  args: [{ name: 'provider', required: true, description: "the provider's name or id" }],
  run: async (ctx) => {
    const ref = arg(ctx, 0);
    const session = await ctx.session();
    const res = await session.api.request<ProviderView>('POST', `${providerPath(ref)}/test`, {
      timeoutMs: CONNECTION_TEST_TIMEOUT_MS,
    });
    const p = res.body;
    if (ctx.json) printJson(ctx, res);
    else print(ctx, `Provider ${p.name} (${p.kind}): ${lastCheck(p, ctx.io.now())}`);
    // The API answers 200 either way (the outcome is recorded); a script needs the exit code.
    if (p.lastCheck?.ok !== true) {
      throw new CliError(
        `the connection test of provider ${p.name} failed: ${p.lastCheck?.message ?? 'no outcome recorded'}`,
        ExitCode.Failed,
      );
    }
  },
};

const remove: CommandNode = {
  name: 'remove',
  aliases: ['delete', 'rm'],
  summary: 'Remove a resource provider that holds no machine',
  args: [{ name: 'provider', required: true, description: "the provider's name or id" }],
  options: {
    yes: {
      type: 'boolean',
      short: 'y',
      description: 'do not ask for confirmation (needed when not on a terminal)',
    },
  },
  run: async (ctx) => {
    const ref = arg(ctx, 0);
    const session = await ctx.session();
    await confirm(ctx, `Remove provider ${ref}? Its credentials are forgotten.`);
    let res: ApiResponse<ProviderView>;
    try {
      res = await session.api.delete<ProviderView>(providerPath(ref));
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        throw new ApiError(err.status, err.body, 'DELETE', providerPath(ref), holdingHints(err.body));
      }
      throw err;
    }
    if (ctx.json) printJson(ctx, res);
    else print(ctx, `Provider ${res.body.name} (${res.body.kind}) is removed.`);
  },
};

export const providersCommand: CommandNode = {
  name: 'providers',
  aliases: ['provider'],
  summary: 'Resource providers machines are made on: Proxmox, Hetzner, DigitalOcean, sandbox (ops staff)',
  children: [list, get, register, test, remove],
};
