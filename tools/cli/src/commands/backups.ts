// `fedops backups`: a tenant's snapshots (GET /v1/tenants/{id}/snapshots), a backup now
// (POST .../backups) and a restore (POST .../restores), each an operation that --wait follows.
import type { ApiResponse } from '../api-client';
import {
  arg,
  flagValue,
  intValue,
  listValue,
  stringValue,
  type CommandContext,
  type CommandNode,
  type OptionSpec,
} from '../command';
import { LIST_OPTIONS, print, printJson, printList } from '../output';
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

/** A snapshot as GET /v1/tenants/{id}/snapshots lists it. */
interface SnapshotView {
  id: string;
  app: string;
  reason: string;
  takenAt: string;
  totalBytes: number;
  addedBytes: number;
  files: number;
  protected: boolean;
}

interface OperationAnswer {
  id: string;
  kind: string;
  status: string;
}

const RESTORE_STRATEGIES = ['safe', 'in-place'] as const;

/** A tenant's backup policy as GET/PUT /v1/tenants/{id}/backup-policy carry it. */
interface BackupPolicy {
  intervalHours: number;
  retention: Partial<Record<RetentionKey, number>>;
  checkIntervalDays: number;
  checkReadDataPercent: number;
}

/** Retention rules by flag (`--keep-daily`) and by field (`keepDaily`). */
const RETENTION_FLAGS = {
  'keep-last': 'keepLast',
  'keep-hourly': 'keepHourly',
  'keep-daily': 'keepDaily',
  'keep-weekly': 'keepWeekly',
  'keep-monthly': 'keepMonthly',
  'keep-yearly': 'keepYearly',
} as const;
type RetentionKey = (typeof RETENTION_FLAGS)[keyof typeof RETENTION_FLAGS];

const POLICY_OPTIONS: Record<string, OptionSpec> = {
  every: {
    type: 'string',
    value: '<hours>',
    description: 'hours between scheduled backups (0: manual only)',
  },
  ...Object.fromEntries(
    Object.keys(RETENTION_FLAGS).map((flag) => [
      flag,
      {
        type: 'string',
        value: '<n>',
        description: `retention: ${flag.replace('-', ' ')} snapshots of each app`,
      },
    ]),
  ),
  'check-every': { type: 'string', value: '<days>', description: 'days between repository checks' },
  'check-read': { type: 'string', value: '<percent>', description: 'how much of the data a check reads' },
  'reset-retention': {
    type: 'boolean',
    description: 'replace the retention rules by the --keep-* given instead of merging them in',
  },
};

function renderPolicy(policy: BackupPolicy): string {
  const keep = Object.entries(RETENTION_FLAGS)
    .filter(([, key]) => policy.retention[key] !== undefined)
    .map(([flag, key]) => `${flag.slice('keep-'.length)} ${policy.retention[key]}`)
    .join(', ');
  return renderFields([
    ['Backups', policy.intervalHours === 0 ? 'manual only' : `every ${policy.intervalHours} h`],
    ['Keep', keep === '' ? '-' : keep],
    ['Checks', `every ${policy.checkIntervalDays} d, reading ${policy.checkReadDataPercent} % of the data`],
  ]);
}

const tenantPath = (tenant: string, rest: string): string =>
  `/v1/tenants/${encodeURIComponent(tenant)}/${rest}`;

/** 1536 -> `1.5 KiB`. */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function snapshotColumns(now: number): Column<SnapshotView>[] {
  return [
    { header: 'ID', value: (s) => s.id.slice(0, 12) },
    { header: 'APP', value: (s) => s.app },
    { header: 'REASON', value: (s) => (s.protected ? `${s.reason} (kept)` : s.reason) },
    { header: 'TAKEN', value: (s) => relative(s.takenAt, now) },
    { header: 'SIZE', value: (s) => bytes(s.totalBytes) },
    { header: 'ADDED', value: (s) => bytes(s.addedBytes) },
    { header: 'FILES', value: (s) => String(s.files) },
  ];
}

/** Prints the operation an answer started, or follows it to its end with --wait. */
async function startedOperation(
  ctx: CommandContext,
  res: ApiResponse<OperationAnswer>,
  what: string,
): Promise<void> {
  const choice = waitChoice(ctx);
  if (!choice.wait) {
    if (ctx.json) printJson(ctx, res);
    else
      print(
        ctx,
        `${what} operation ${res.body.id} ${res.body.status}; follow it with: fedops operations get ${res.body.id}`,
      );
    return;
  }
  const session = await ctx.session();
  const op = await follow(ctx, session, res.body.id, choice);
  if (ctx.json) printJson(ctx, op);
  else print(ctx, `${what} operation ${op.body.id} ${op.body.status}.`);
  requireSuccess(op.body);
}

export const backupsCommand: CommandNode = {
  name: 'backups',
  aliases: ['backup'],
  summary: "A tenant's snapshots, backups and restores",
  children: [
    {
      name: 'list',
      aliases: ['ls'],
      summary: "List a tenant's snapshots, newest first",
      args: [{ name: 'tenant', required: true, description: 'the tenant id' }],
      options: {
        ...LIST_OPTIONS,
        app: { type: 'string', value: '<app>', description: "only this app's snapshots" },
        refresh: { type: 'boolean', description: 'read the repository again (slower)' },
      },
      run: async (ctx) => {
        const session = await ctx.session();
        await printList<SnapshotView>(
          ctx,
          session,
          tenantPath(arg(ctx, 0), 'snapshots'),
          { app: stringValue(ctx, 'app'), refresh: flagValue(ctx, 'refresh') ? 'true' : undefined },
          snapshotColumns(ctx.io.now()),
          'snapshots',
        );
      },
    },
    {
      name: 'create',
      summary: "Back up a tenant's apps now (one snapshot per app that holds data)",
      args: [{ name: 'tenant', required: true, description: 'the tenant id' }],
      options: {
        app: {
          type: 'string',
          multiple: true,
          value: '<app>',
          description: 'only this app (repeat for more)',
        },
        ...IDEMPOTENCY_OPTION,
        ...WAIT_OPTIONS,
      },
      run: async (ctx) => {
        const apps = listValue(ctx, 'app');
        const session = await ctx.session();
        const res = await session.api.post<OperationAnswer>(
          tenantPath(arg(ctx, 0), 'backups'),
          apps.length > 0 ? { apps } : {},
          idempotencyKey(ctx),
        );
        await startedOperation(ctx, res, 'Backup');
      },
    },
    {
      name: 'policy',
      summary: "Show a tenant's backup policy, or change it with the flags given",
      description:
        'Without flags, prints the policy. With flags, reads the policy, changes what the flags say (the --keep-* ' +
        'rules are merged into the current ones unless --reset-retention) and sends it back. A retention that ' +
        'keeps nothing is refused by the server.',
      args: [{ name: 'tenant', required: true, description: 'the tenant id' }],
      options: POLICY_OPTIONS,
      run: async (ctx) => {
        const path = tenantPath(arg(ctx, 0), 'backup-policy');
        const every = intValue(ctx, 'every', 0, 168);
        const checkEvery = intValue(ctx, 'check-every', 1, 90);
        const checkRead = intValue(ctx, 'check-read', 1, 100);
        const keep = Object.entries(RETENTION_FLAGS).flatMap(([flag, key]) => {
          const n = intValue(ctx, flag, 1, 1000);
          return n === undefined ? [] : [[key, n] as const];
        });
        const reset = flagValue(ctx, 'reset-retention');
        const session = await ctx.session();
        const current = await session.api.get<BackupPolicy>(path);
        const changes =
          every !== undefined || checkEvery !== undefined || checkRead !== undefined || keep.length > 0;
        if (!changes && !reset) {
          if (ctx.json) printJson(ctx, current);
          else print(ctx, renderPolicy(current.body));
          return;
        }
        const policy: BackupPolicy = {
          intervalHours: every ?? current.body.intervalHours,
          retention: { ...(reset ? {} : current.body.retention), ...Object.fromEntries(keep) },
          checkIntervalDays: checkEvery ?? current.body.checkIntervalDays,
          checkReadDataPercent: checkRead ?? current.body.checkReadDataPercent,
        };
        const res = await session.api.request<BackupPolicy>('PUT', path, { body: policy });
        if (ctx.json) printJson(ctx, res);
        else print(ctx, renderPolicy(res.body));
      },
    },
    {
      name: 'restore',
      summary: 'Restore apps from snapshots (at most one per app)',
      description:
        '--strategy safe restores into a new location, verifies it, then swaps it with the live data (room for a ' +
        'second copy needed); in-place takes a pre-restore snapshot first, then restores where the data is.',
      args: [
        { name: 'tenant', required: true, description: 'the tenant id' },
        {
          name: 'snapshot',
          required: true,
          variadic: true,
          description: 'snapshot ids (from `fedops backups list`)',
        },
      ],
      options: {
        strategy: {
          type: 'string',
          value: '<strategy>',
          choices: RESTORE_STRATEGIES,
          description: 'safe or in-place',
        },
        yes: { type: 'boolean', short: 'y', description: 'do not ask for confirmation' },
        ...IDEMPOTENCY_OPTION,
        ...WAIT_OPTIONS,
      },
      run: async (ctx) => {
        const strategy = stringValue(ctx, 'strategy');
        if (strategy === undefined) throw ctx.usage('--strategy is required: safe or in-place');
        const [tenant, ...snapshotIds] = ctx.args;
        if (tenant === undefined) throw ctx.usage('the tenant id is required');
        const session = await ctx.session();
        await confirm(
          ctx,
          `Restore ${snapshotIds.length} snapshot(s) onto tenant ${tenant}? Its apps' data is replaced.`,
        );
        const res = await session.api.post<OperationAnswer>(
          tenantPath(tenant, 'restores'),
          { snapshotIds, strategy },
          idempotencyKey(ctx),
        );
        await startedOperation(ctx, res, 'Restore');
      },
    },
  ],
};
