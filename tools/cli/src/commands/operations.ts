import { OPERATION_KINDS, OPERATION_STATUSES, isFinalOperationStatus } from '@fedops/contracts';
import type { OperationView } from '../api-types';
import { arg, durationValue, stringValue, type CommandNode } from '../command';
import { ExitCode } from '../exit-codes';
import { CliError } from '../errors';
import { LIST_OPTIONS, notice, print, printJson, printList } from '../output';
import { stepPosition } from '../progress';
import { age, duration, renderFields, renderTable, type Column } from '../table';
import {
  IDEMPOTENCY_OPTION,
  WAIT_OPTIONS,
  follow,
  idempotencyKey,
  requireSuccess,
  waitChoice,
  when,
} from './shared';

const operationPath = (id: string): string => `/v1/operations/${encodeURIComponent(id)}`;

function steps(op: OperationView): string {
  const done = op.steps.filter((s) => s.status === 'succeeded').length;
  return op.steps.length === 0 ? '-' : `${done}/${op.steps.length}`;
}

function operationColumns(now: number): Column<OperationView>[] {
  return [
    { header: 'ID', value: (o) => o.id },
    { header: 'KIND', value: (o) => o.kind },
    { header: 'STATUS', value: (o) => o.status },
    { header: 'STEPS', value: steps },
    { header: 'TENANT', value: (o) => o.tenantId },
    { header: 'AGE', value: (o) => age(o.createdAt, now) },
  ];
}

export function renderOperation(op: OperationView, now: number): string {
  const { index, total, name } = stepPosition(op.steps);
  const head = renderFields([
    ['ID', op.id],
    ['Kind', op.kind],
    ['Status', op.status],
    ['Tenant', op.tenantId],
    ['Org', op.org],
    ['Requested by', op.requestedBy],
    [
      'Progress',
      total === 0 || isFinalOperationStatus(op.status)
        ? undefined
        : `step ${index} of ${total}: ${name ?? '?'}`,
    ],
    ['Failed step', op.failedStep],
    ['Error', op.error],
    ['Error detail', op.errorDetail],
    ['Retry of', op.retryOf],
    ['Created', when(op.createdAt, now)],
    ['Started', when(op.startedAt, now)],
    ['Finished', when(op.finishedAt, now)],
  ]);
  if (op.steps.length === 0) return head;
  type Step = OperationView['steps'][number];
  const took = (s: Step): string => {
    const start = s.startedAt === undefined ? NaN : Date.parse(s.startedAt);
    const end = s.finishedAt === undefined ? now : Date.parse(s.finishedAt);
    return Number.isNaN(start) || Number.isNaN(end) ? '-' : duration(end - start);
  };
  const table = renderTable(
    [
      { header: 'STEP', value: (s: Step) => s.name },
      { header: 'STATUS', value: (s) => s.status },
      { header: 'TOOK', value: took },
      { header: 'ERROR', value: (s) => s.error ?? '' },
    ],
    op.steps,
  );
  return `${head}\n\n${table}`;
}

const list: CommandNode = {
  name: 'list',
  aliases: ['ls'],
  summary: 'List operations, newest first',
  options: {
    tenant: { type: 'string', value: '<tenant>', description: "only this tenant's operations" },
    kind: {
      type: 'string',
      value: '<kind>',
      choices: OPERATION_KINDS,
      description: 'only operations of this kind',
    },
    status: {
      type: 'string',
      value: '<status>',
      choices: OPERATION_STATUSES,
      description: 'only operations in this status',
    },
    ...LIST_OPTIONS,
  },
  examples: ['fedops operations list --tenant 6f1c...e2', 'fedops operations list --status failed --json'],
  run: async (ctx) => {
    const session = await ctx.session();
    await printList<OperationView>(
      ctx,
      session,
      '/v1/operations',
      {
        tenant: stringValue(ctx, 'tenant'),
        kind: stringValue(ctx, 'kind'),
        status: stringValue(ctx, 'status'),
      },
      operationColumns(ctx.io.now()),
      'operations',
    );
  },
};

const get: CommandNode = {
  name: 'get',
  aliases: ['show'],
  summary: "Show an operation's status and steps",
  args: [{ name: 'operation', required: true, description: 'the operation id' }],
  run: async (ctx) => {
    const session = await ctx.session();
    const res = await session.api.get<OperationView>(operationPath(arg(ctx, 0)));
    if (ctx.json) printJson(ctx, res);
    else print(ctx, renderOperation(res.body, ctx.io.now()));
  },
};

const watch: CommandNode = {
  name: 'watch',
  summary: 'Follow an operation with a progress display until it ends; exit 1 unless it succeeded',
  args: [{ name: 'operation', required: true, description: 'the operation id' }],
  options: {
    timeout: {
      type: 'string',
      value: '<duration>',
      description: 'give up after this long (90, 90s, 5m, 1h); the operation goes on',
    },
  },
  run: async (ctx) => {
    const timeoutMs = durationValue(ctx, 'timeout');
    const session = await ctx.session();
    const op = await follow(ctx, session, arg(ctx, 0), {
      wait: true,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    if (ctx.json) printJson(ctx, op);
    else print(ctx, renderOperation(op.body, ctx.io.now()));
    requireSuccess(op.body);
  },
};

/** cancel and retry: a POST that answers with an operation, optionally followed. */
function operationAction(name: 'cancel' | 'retry', summary: string, description: string): CommandNode {
  return {
    name,
    summary,
    description,
    args: [{ name: 'operation', required: true, description: 'the operation id' }],
    options: { ...IDEMPOTENCY_OPTION, ...WAIT_OPTIONS },
    run: async (ctx) => {
      const id = arg(ctx, 0);
      const key = idempotencyKey(ctx);
      const choice = waitChoice(ctx);
      const session = await ctx.session();
      const answer = await session.api.post<OperationView>(`${operationPath(id)}/${name}`, undefined, key);
      if (!choice.wait) {
        if (ctx.json) printJson(ctx, answer);
        else {
          const op = answer.body;
          print(ctx, `Operation ${op.id} (${op.kind} of tenant ${op.tenantId}) is ${op.status}.`);
          if (op.status !== 'cancelled' && op.status !== 'succeeded' && op.status !== 'failed') {
            notice(ctx, `Follow it with: fedops operations watch ${op.id}`);
          }
        }
        return;
      }
      const op = await follow(ctx, session, answer.body.id, choice);
      if (ctx.json) printJson(ctx, op);
      else print(ctx, renderOperation(op.body, ctx.io.now()));
      if (name === 'retry') requireSuccess(op.body);
      else if (op.body.status !== 'cancelled') {
        // It ended another way before the cancellation took: the command did not do what was asked.
        throw new CliError(`operation ${op.body.id} ended ${op.body.status}, not cancelled`, ExitCode.Failed);
      }
    },
  };
}

export const operationsCommand: CommandNode = {
  name: 'operations',
  aliases: ['operation', 'ops'],
  summary: 'List, show, follow, cancel and retry operations (deployments, deletions)',
  children: [
    list,
    get,
    watch,
    operationAction(
      'cancel',
      'Cancel a pending or running operation (its steps are undone)',
      'Cancel an operation: a pending one ends cancelled at once, a running one undoes what it did and then ends ' +
        'cancelled. Deletions cannot be cancelled. With --wait, follow it until it has ended.',
    ),
    operationAction(
      'retry',
      'Retry a failed or cancelled operation (a new operation)',
      "Start a new operation of the same kind on the tenant, if this is still the tenant's latest. " +
        'With --wait, follow the new operation until it ends.',
    ),
  ],
};
