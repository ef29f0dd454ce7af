import type { ApiResponse } from '../api-client';
import type { CatalogApp, CatalogEndpointView, OptionSpecView } from '../api-types';
import { arg, type CommandContext, type CommandNode } from '../command';
import { ExitCode } from '../exit-codes';
import { ApiError, CliError } from '../errors';
import { print, printJson, printJsonValue, printRows } from '../output';
import { renderFields, renderTable } from '../table';

function optionType(spec: OptionSpecView): string {
  if (spec.type === 'enum' && spec.values !== undefined) return spec.values.join('|');
  if (spec.type === 'integer' && (spec.min !== undefined || spec.max !== undefined)) {
    return `integer ${spec.min ?? ''}..${spec.max ?? ''}`;
  }
  if (spec.type === 'enable') return 'enable (true|false)';
  return spec.type;
}

function optionDescription(spec: OptionSpecView): string {
  const rules = [
    spec.patternHint,
    spec.notIn === undefined || spec.notIn.length === 0 ? undefined : `not ${spec.notIn.join(', ')}`,
  ].filter((r) => r !== undefined);
  return rules.length === 0 ? spec.description : `${spec.description} Allowed: ${rules.join('; ')}.`;
}

/** The options lowest weight first, as the catalog orders them (those without a weight last, as sent). */
export function optionsByWeight(app: CatalogApp): Array<[string, OptionSpecView]> {
  return Object.entries(app.options).sort(
    ([, a], [, b]) => (a.weight ?? Number.MAX_SAFE_INTEGER) - (b.weight ?? Number.MAX_SAFE_INTEGER),
  );
}

/** `4 GiB`, `512 MiB`. */
function memory(mib: number): string {
  return mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

function needs(app: CatalogApp): string {
  const r = app.resources;
  return r === undefined ? '-' : `${r.vcpu} vCPU, ${memory(r.memoryMiB)}, ${r.diskGiB} GiB disk`;
}

function subdomainHost(app: CatalogApp, option: string): string {
  const label = app.options[option]?.default;
  return `${typeof label === 'string' ? label : `<${option}>`}.<domain>`;
}

function endpointWhere(app: CatalogApp, e: CatalogEndpointView): string {
  switch (e.kind) {
    case 'http':
    case 'host':
      return `${subdomainHost(app, e.subdomainOption)} (${app.id}.${e.subdomainOption})`;
    case 'apex-path':
      return `<domain>${e.path}`;
  }
}

function endpointWhat(e: CatalogEndpointView): string {
  return e.kind === 'http' ? `health ${e.healthPath}, bodies up to ${e.maxBodySize}` : e.purpose;
}

function adminAccount(app: CatalogApp): string | undefined {
  const admin = app.admin;
  if (admin === undefined) return undefined;
  const name =
    'option' in admin.username
      ? `named by ${app.id}.${admin.username.option}`
      : `"${admin.username.fixed}" (fixed by the app)`;
  const email = admin.emailOption === undefined ? '' : `, e-mail ${app.id}.${admin.emailOption}`;
  return `${name}${email}; its password is generated`;
}

const list = (values: readonly string[] | undefined): string | undefined =>
  values === undefined ? undefined : values.length === 0 ? '-' : values.join(', ');

/** One app for people: what it is, its options (typed, with defaults) and what it gets on the machine. */
export function renderApp(app: CatalogApp): string {
  const sections = [
    renderFields([
      ['App', app.id],
      ['Name', app.name],
      ['Description', app.description],
      ['Support', app.supportLevel],
      ['License', app.license],
      ['Homepage', app.homepage],
      ['Package', app.package],
      ['Needs', app.resources === undefined ? undefined : needs(app)],
      ['Admin', adminAccount(app)],
      ['Databases', list(app.databases)],
      ['Data', list(app.dataPaths)],
      ['Movable', app.movable === undefined ? undefined : app.movable ? 'yes' : 'no'],
    ]),
  ];
  const options = optionsByWeight(app);
  sections.push(
    options.length === 0
      ? 'No options.'
      : renderTable(
          [
            { header: 'OPTION', value: ([name]: [string, OptionSpecView]) => `${app.id}.${name}` },
            { header: 'TYPE', value: ([, s]) => optionType(s) },
            {
              header: 'DEFAULT',
              value: ([, s]) =>
                s.default === undefined ? (s.required === true ? '(required)' : '-') : String(s.default),
            },
            { header: 'DESCRIPTION', value: ([, s]) => optionDescription(s) },
          ],
          options,
        ),
  );
  const enabledBy = (item: { enabledBy?: string }): string =>
    item.enabledBy === undefined ? '-' : `${app.id}.${item.enabledBy}`;
  if (app.endpoints !== undefined && app.endpoints.length > 0)
    sections.push(
      renderTable(
        [
          { header: 'ENDPOINT', value: (e: CatalogEndpointView) => e.id },
          { header: 'KIND', value: (e) => e.kind },
          { header: 'WHERE', value: (e) => endpointWhere(app, e) },
          { header: 'ENABLED BY', value: enabledBy },
          { header: 'WHAT', value: endpointWhat },
        ],
        app.endpoints,
      ),
    );
  if (app.ports !== undefined && app.ports.length > 0)
    sections.push(
      renderTable(
        [
          {
            header: 'PORT',
            value: (p: NonNullable<CatalogApp['ports']>[number]) =>
              `${p.port}${p.to === undefined ? '' : `-${p.to}`}/${p.protocol}`,
          },
          { header: 'ENABLED BY', value: enabledBy },
          { header: 'PURPOSE', value: (p) => p.purpose },
        ],
        app.ports,
      ),
    );
  if (app.secrets !== undefined && app.secrets.length > 0)
    sections.push(
      renderTable(
        [
          { header: 'SECRET (generated)', value: (s: NonNullable<CatalogApp['secrets']>[number]) => s.name },
          { header: 'ENABLED BY', value: enabledBy },
          { header: 'DESCRIPTION', value: (s) => s.description },
        ],
        app.secrets,
      ),
    );
  if (options.length > 0)
    sections.push(
      `Set one with: fedops tenants create ... --app ${app.id} --option ${app.id}.<option>=<value>`,
    );
  return sections.join('\n\n');
}

/** GET /v1/apps/{id}; from the list on a server that has no such route yet. */
async function getApp(
  ctx: CommandContext,
  id: string,
): Promise<{ app: CatalogApp; res?: ApiResponse<CatalogApp> }> {
  const { api } = await ctx.session();
  try {
    const res = await api.get<CatalogApp>(`/v1/apps/${encodeURIComponent(id)}`);
    return { app: res.body, res };
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 404) throw err;
    const known = (await api.get<{ items: CatalogApp[] }>('/v1/apps')).body.items;
    const app = err.missingRoute ? known.find((a) => a.id === id) : undefined;
    if (app !== undefined) return { app };
    throw new CliError(
      `no app "${id}" in the catalog; it has: ${known.map((a) => a.id).join(', ')}`,
      ExitCode.NotFound,
      ['`fedops apps list` shows them with what each is'],
    );
  }
}

export const appsCommand: CommandNode = {
  name: 'apps',
  aliases: ['app', 'catalog'],
  summary: 'The app catalog: the apps a tenant can have and their options',
  children: [
    {
      name: 'list',
      aliases: ['ls'],
      summary: 'List the apps of the catalog: support level, license, what each needs',
      run: async (ctx) => {
        const res = await (await ctx.session()).api.get<{ items: CatalogApp[] }>('/v1/apps');
        if (ctx.json) {
          printJson(ctx, res);
          return;
        }
        printRows(
          ctx,
          [
            { header: 'ID', value: (a: CatalogApp) => a.id },
            { header: 'NAME', value: (a) => a.name },
            { header: 'SUPPORT', value: (a) => a.supportLevel ?? '-' },
            { header: 'LICENSE', value: (a) => a.license ?? '-' },
            { header: 'NEEDS', value: needs },
            { header: 'DESCRIPTION', value: (a) => a.description },
          ],
          res.body.items,
          'apps',
        );
      },
    },
    {
      name: 'get',
      aliases: ['show'],
      summary:
        "Show an app: its options' types and defaults (by weight), endpoints, ports, generated secrets (names) and needs",
      args: [{ name: 'app', required: true, description: 'the app id, e.g. mastodon' }],
      run: async (ctx) => {
        const { app, res } = await getApp(ctx, arg(ctx, 0));
        if (ctx.json) {
          if (res !== undefined) printJson(ctx, res);
          else printJsonValue(ctx, app);
        } else print(ctx, renderApp(app));
      },
    },
  ],
};
