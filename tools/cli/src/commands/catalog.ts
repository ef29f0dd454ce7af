import type { CatalogApp, OptionSpecView } from '../api-types';
import { arg, type CommandNode } from '../command';
import { ExitCode } from '../exit-codes';
import { CliError } from '../errors';
import { print, printJson, printJsonValue, printRows } from '../output';
import { renderFields, renderTable } from '../table';

function optionType(spec: OptionSpecView): string {
  if (spec.type === 'enum' && spec.values !== undefined) return spec.values.join('|');
  if (spec.type === 'integer' && (spec.min !== undefined || spec.max !== undefined)) {
    return `integer ${spec.min ?? ''}..${spec.max ?? ''}`;
  }
  return spec.type;
}

export function renderApp(app: CatalogApp): string {
  const head = renderFields([
    ['App', app.id],
    ['Name', app.name],
    ['Description', app.description],
  ]);
  const options = Object.entries(app.options);
  if (options.length === 0) return `${head}\n\nNo options.`;
  const table = renderTable(
    [
      { header: 'OPTION', value: ([name]: [string, OptionSpecView]) => `${app.id}.${name}` },
      { header: 'TYPE', value: ([, s]) => optionType(s) },
      {
        header: 'DEFAULT',
        value: ([, s]) =>
          s.default === undefined ? (s.required === true ? '(required)' : '-') : String(s.default),
      },
      { header: 'DESCRIPTION', value: ([, s]) => s.description },
    ],
    options,
  );
  return `${head}\n\n${table}\n\nSet one with: fedops tenants create ... --app ${app.id} --option ${app.id}.<option>=<value>`;
}

export const appsCommand: CommandNode = {
  name: 'apps',
  aliases: ['app', 'catalog'],
  summary: 'The app catalog: the apps a tenant can have and their options',
  children: [
    {
      name: 'list',
      aliases: ['ls'],
      summary: 'List the apps of the catalog',
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
            { header: 'OPTIONS', value: (a) => Object.keys(a.options).join(',') || '-' },
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
      summary: "Show an app and its options' types and defaults",
      args: [{ name: 'app', required: true, description: 'the app id, e.g. mastodon' }],
      run: async (ctx) => {
        const id = arg(ctx, 0);
        // The API has the catalog as one list; the app is picked from it here.
        const res = await (await ctx.session()).api.get<{ items: CatalogApp[] }>('/v1/apps');
        const app = res.body.items.find((a) => a.id === id);
        if (app === undefined) {
          throw new CliError(
            `no app "${id}" in the catalog; it has: ${res.body.items.map((a) => a.id).join(', ')}`,
            ExitCode.NotFound,
          );
        }
        if (ctx.json) printJsonValue(ctx, app);
        else print(ctx, renderApp(app));
      },
    },
  ],
};
