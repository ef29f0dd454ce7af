import type {
  MachineCleanupResult,
  MachineFinding,
  MachineListView,
  MachineView,
  ProviderView,
  ReconcileReport,
} from '../api-types';
import type { Page } from '../api-client';
import { flagValue, type CommandContext, type CommandNode } from '../command';
import { ApiError } from '../errors';
import type { Session } from '../session';
import { notice, print, printJson } from '../output';
import { relative, renderTable, type Column } from '../table';

/** The server confirms and deletes each orphan at its provider, within 130 s. */
export const CLEANUP_TIMEOUT_MS = 150_000;

function machineColumns(providerName: (id: string) => string): Column<MachineView>[] {
  return [
    { header: 'MACHINE', value: (m) => m.machineId },
    { header: 'TENANT', value: (m) => m.tenantId },
    { header: 'PROVIDER', value: (m) => providerName(m.providerId) },
    { header: 'LOCATION', value: (m) => m.location },
    { header: 'SSH', value: (m) => `${m.sshUser}@${m.address}:${m.sshPort}` },
    { header: 'ACTIVATION', value: (m) => m.activation },
  ];
}

function findingColumns(now: number): Column<MachineFinding>[] {
  return [
    { header: 'FINDING', value: (f) => f.kind },
    { header: 'PROVIDER', value: (f) => f.providerName },
    { header: 'EXTERNAL ID', value: (f) => f.externalId },
    { header: 'NAME', value: (f) => f.name },
    { header: 'TENANT', value: (f) => f.tenantId ?? '-' },
    { header: 'FIRST SEEN', value: (f) => relative(f.firstSeenAt, now) },
  ];
}

/** `Reconciled 2m ago: sandbox ok (3 machines), pve-fra1 failed (connect ECONNREFUSED)`. */
export function describeReconciliation(report: ReconcileReport | null, now: number): string {
  if (report === null) return 'Not reconciled yet: the machine reconciler has not run.';
  const providers = report.providers.map((p) =>
    p.ok ? `${p.name} ok (${p.machines} machines)` : `${p.name} failed (${p.error ?? 'no reason given'})`,
  );
  return `Reconciled ${relative(report.checkedAt, now)}: ${providers.join(', ') || 'no providers'}.`;
}

/**
 * The inventory as a table (each machine's provider by name where known, else by kind), then the
 * last reconciliation and its findings.
 */
export function renderFleet(
  view: MachineListView,
  now: number,
  providerNames: ReadonlyMap<string, string> = new Map(),
): string {
  const names = new Map([
    ...providerNames,
    ...(view.reconciliation?.providers ?? []).map((p): [string, string] => [p.providerId, p.name]),
  ]);
  const kinds = new Map(view.items.map((m) => [m.providerId, m.provider]));
  const machines =
    view.items.length === 0
      ? 'No machines.'
      : renderTable(
          machineColumns((id) => names.get(id) ?? kinds.get(id) ?? id),
          view.items,
        );
  const findings = view.reconciliation?.findings ?? [];
  const found =
    view.reconciliation === null
      ? []
      : findings.length === 0
        ? ['No orphans, no missing machines.']
        : [renderTable(findingColumns(now), findings)];
  return [machines, '', describeReconciliation(view.reconciliation, now), ...found].join('\n');
}

/**
 * The names of the providers, for machines on one the last reconciliation does not name (before the
 * first run, a provider registered since): best effort, as a token may lack providers:read.
 */
async function providerNames(session: Session, view: MachineListView): Promise<Map<string, string>> {
  const known = new Set((view.reconciliation?.providers ?? []).map((p) => p.providerId));
  if (view.items.every((m) => known.has(m.providerId))) return new Map();
  try {
    const page = await session.api.get<Page<ProviderView>>('/v1/providers', { limit: '200' });
    return new Map(page.body.items.map((p) => [p.id, p.name]));
  } catch (err) {
    if (err instanceof ApiError) return new Map();
    throw err;
  }
}

async function listFleet(ctx: CommandContext): Promise<void> {
  const session = await ctx.session();
  const res = await session.api.get<MachineListView>('/v1/machines');
  if (ctx.json) {
    printJson(ctx, res);
    return;
  }
  print(ctx, renderFleet(res.body, ctx.io.now(), await providerNames(session, res.body)));
  if ((res.body.reconciliation?.findings ?? []).some((f) => f.kind === 'orphan')) {
    notice(ctx, 'See which orphans would be deleted with `fedops machines cleanup` (a dry run).');
  }
}

export function renderCleanup(result: MachineCleanupResult, now: number): string {
  const lines: string[] = [];
  if (result.orphans.length === 0) lines.push('No orphans to delete.');
  else {
    lines.push(
      result.dryRun
        ? `A dry run: ${result.orphans.length} orphan(s) would be deleted, nothing was.`
        : `Deleted ${result.orphans.length} orphan(s).`,
      renderTable(findingColumns(now), result.orphans),
    );
  }
  for (const s of result.skipped) lines.push(`Left alone: ${s.providerName} ${s.externalId}: ${s.why}`);
  return lines.join('\n');
}

const list: CommandNode = {
  name: 'list',
  aliases: ['ls'],
  summary: 'List the machines and the reconciler’s findings (also: `fedops machines`)',
  run: listFleet,
};

const cleanup: CommandNode = {
  name: 'cleanup',
  summary: 'Delete the orphan machines the reconciler found; without --yes a dry run',
  description:
    'Delete the orphans of the last reconciliation (machines carrying this platform’s label that the ' +
    'inventory does not know) at their providers. Without --yes it is a dry run: it lists what would be ' +
    'deleted and deletes nothing. Each orphan is looked up again first; one that is gone or known to the ' +
    'inventory by now is left alone. A machine of the inventory is never deleted, `missing` ones neither.',
  options: {
    yes: {
      type: 'boolean',
      short: 'y',
      description: 'delete them (without it: a dry run that only lists them)',
    },
  },
  examples: [
    'fedops machines cleanup          # what would go',
    'fedops machines cleanup --yes    # delete them',
  ],
  run: async (ctx) => {
    const dryRun = !flagValue(ctx, 'yes');
    const session = await ctx.session();
    const res = await session.api.request<MachineCleanupResult>('POST', '/v1/machines/cleanup', {
      body: { dryRun },
      timeoutMs: CLEANUP_TIMEOUT_MS,
    });
    if (ctx.json) {
      printJson(ctx, res);
      return;
    }
    print(ctx, renderCleanup(res.body, ctx.io.now()));
    if (dryRun && res.body.orphans.length > 0) notice(ctx, 'Delete them with: fedops machines cleanup --yes');
  },
};

export const machinesCommand: CommandNode = {
  name: 'machines',
  aliases: ['machine', 'fleet'],
  summary: "The fleet's machines, the reconciler's orphans and missing machines (ops staff)",
  description:
    "The fleet (ops staff): `fedops machines` lists the provisioner's machines and what the machine " +
    'reconciler found comparing them with every provider; `fedops machines cleanup` deletes orphans.',
  run: listFleet,
  children: [list, cleanup],
};
