// `fedops backups`: a tenant's snapshots (GET /v1/tenants/{id}/snapshots), a backup now
// (POST .../backups) and a restore (POST .../restores), each an operation that --wait follows.
import type { ApiResponse } from '../api-client';
import { arg, flagValue, listValue, stringValue, type CommandContext, type CommandNode } from '../command';
import { LIST_OPTIONS, print, printJson, printList } from '../output';
import { relative, type Column } from '../table';
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
