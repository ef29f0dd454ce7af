import { ApiClient } from './api-client';
import type { OperationView } from './api-types';
import { CliError } from './errors';
import { followOperation } from './follow';
import { createProgress } from './progress';
import { CapturedOutput, eventStream, fakeIo, json, sseEvent, type Handler } from './testing/fake-io';

const OP = 'op-1';

function operation(status: OperationView['status'], steps: OperationView['steps'] = []): OperationView {
  return {
    id: OP,
    kind: 'deploy',
    tenantId: 't1',
    org: 'acme',
    status,
    requestedBy: 'x',
    steps,
    createdAt: '2026-12-01T10:00:00Z',
    ...(status === 'failed' ? { error: 'The deployment failed while deploying the apps.' } : {}),
  };
}

function setUp(handler: Handler): {
  io: ReturnType<typeof fakeIo>;
  follow: (timeoutMs?: number) => Promise<OperationView>;
  progress: CapturedOutput;
} {
  const io = fakeIo(handler);
  const api = new ApiClient({
    baseUrl: 'http://api',
    token: 'T',
    io,
    userAgent: 'test',
    notice: () => undefined,
  });
  const progress = new CapturedOutput(false);
  return {
    io,
    progress,
    follow: async (timeoutMs) =>
      (
        await followOperation({
          api,
          io,
          operationId: OP,
          progress: createProgress(progress, () => io.now()),
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
        })
      ).body,
  };
}

const running = [
  { name: 'provision', status: 'running' as const },
  { name: 'dns', status: 'pending' as const },
];
const done = [
  { name: 'provision', status: 'succeeded' as const },
  { name: 'dns', status: 'succeeded' as const },
];

describe('followOperation', () => {
  it('follows the tenant’s events to the operation’s end, ignoring other operations’ events', async () => {
    let gets = 0;
    const { follow, io, progress } = setUp((req) => {
      if (req.url.pathname === `/v1/operations/${OP}`) {
        gets += 1;
        return json(200, operation(gets === 1 ? 'running' : 'succeeded', gets === 1 ? [] : done));
      }
      if (req.url.pathname === '/v1/tenants/t1/events') {
        return eventStream([
          ': connected\n\n',
          sseEvent(1, 'operation.progress', {
            operationId: 'older-op',
            steps: [{ name: 'x', status: 'failed' }],
          }),
          sseEvent(2, 'operation.progress', { operationId: OP, steps: running }),
          sseEvent(3, 'machine.created', { machineId: 'm' }),
          sseEvent(4, 'operation.progress', { operationId: OP, steps: done }).slice(0, 20),
          sseEvent(4, 'operation.progress', { operationId: OP, steps: done }).slice(20),
          sseEvent(5, 'operation.finished', { operationId: OP, status: 'succeeded' }),
        ]);
      }
      return json(404, { title: 'Not found' });
    });
    const final = await follow();
    expect(final.status).toBe('succeeded');
    expect(io.requests.map((r) => r.url.pathname)).toEqual([
      `/v1/operations/${OP}`,
      '/v1/tenants/t1/events',
      `/v1/operations/${OP}`,
    ]);
    expect(io.requests[1]?.headers.get('accept')).toBe('text/event-stream');
    expect(io.requests[1]?.headers.get('authorization')).toBe('Bearer T');
    expect(progress.text).toContain('deploy op-1: step 1 of 2 provision running');
    expect(progress.text).toContain('deploy op-1: step 2 of 2 dns succeeded');
    expect(progress.text).not.toContain('x failed');
    expect(progress.text.trimEnd().split('\n').pop()).toBe('deploy op-1: succeeded in 0 s');
  });

  it('does not step back when the stream replays the operation’s earlier progress', async () => {
    const at = (s: number): string => `2026-12-01T10:00:0${s}.000Z`;
    const step1Done = [
      { name: 'provision', status: 'succeeded' as const, startedAt: at(1), finishedAt: at(2) },
      { name: 'dns', status: 'running' as const, startedAt: at(3) },
    ];
    const allDone = [
      step1Done[0]!,
      { name: 'dns', status: 'succeeded' as const, startedAt: at(3), finishedAt: at(4) },
    ];
    let gets = 0;
    const { follow, progress } = setUp((req) => {
      if (req.url.pathname.endsWith('/events')) {
        return eventStream([
          sseEvent(1, 'operation.progress', {
            operationId: OP,
            steps: [
              { name: 'provision', status: 'running', startedAt: at(1) },
              { name: 'dns', status: 'pending' },
            ],
          }),
          sseEvent(2, 'operation.progress', { operationId: OP, steps: step1Done }),
          sseEvent(3, 'operation.progress', { operationId: OP, steps: allDone }),
          sseEvent(4, 'operation.finished', { operationId: OP, status: 'succeeded' }),
        ]);
      }
      gets += 1;
      return gets === 1
        ? json(200, operation('running', step1Done))
        : json(200, operation('succeeded', allDone));
    });
    await follow();
    expect(progress.text).not.toContain('provision running');
    expect(progress.text.split('\n').filter((l) => l.includes('step'))).toEqual([
      'deploy op-1: step 1 of 2 provision succeeded',
      'deploy op-1: step 2 of 2 dns running',
      'deploy op-1: step 2 of 2 dns succeeded',
    ]);
  });

  it('reconnects a broken stream with Last-Event-ID and goes on from there', async () => {
    let streams = 0;
    const { follow, io } = setUp((req) => {
      if (req.url.pathname === `/v1/operations/${OP}`) {
        return json(200, operation(streams < 2 ? 'running' : 'succeeded', done));
      }
      streams += 1;
      return streams === 1
        ? eventStream([sseEvent(7, 'operation.progress', { operationId: OP, steps: running })]) // then the connection ends
        : eventStream([sseEvent(8, 'operation.finished', { operationId: OP, status: 'succeeded' })]);
    });
    expect((await follow()).status).toBe('succeeded');
    const eventRequests = io.requests.filter((r) => r.url.pathname.endsWith('/events'));
    expect(eventRequests.map((r) => r.headers.get('last-event-id'))).toEqual([null, '7']);
    expect(io.slept).toEqual([1000]);
  });

  it('polls the operation when the server has no event stream', async () => {
    const statuses: OperationView['status'][] = ['pending', 'running', 'running', 'failed'];
    const { follow, io, progress } = setUp((req) => {
      if (req.url.pathname.endsWith('/events'))
        return json(404, { title: 'Not found', detail: 'Cannot GET /x' });
      return json(200, operation(statuses.shift() ?? 'failed', running));
    });
    const final = await follow();
    expect(final).toMatchObject({
      status: 'failed',
      error: 'The deployment failed while deploying the apps.',
    });
    expect(io.slept).toEqual([2000, 2000, 2000]);
    expect(progress.text).toContain('deploy op-1: pending');
    expect(progress.text.trimEnd().split('\n').pop()).toBe('deploy op-1: failed in 6 s');
  });

  it('does not open the stream for an operation that has ended already', async () => {
    const { follow, io } = setUp(() => json(200, operation('cancelled')));
    expect((await follow()).status).toBe('cancelled');
    expect(io.requests).toHaveLength(1);
  });

  it('gives up at the timeout, saying the operation goes on', async () => {
    const { follow } = setUp((req) =>
      req.url.pathname.endsWith('/events')
        ? new Response('no', { status: 501 })
        : json(200, operation('running')),
    );
    const err = await follow(5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(1);
    expect((err as CliError).message).toBe('operation op-1 is still running after 5 s');
    expect((err as CliError).hints[0]).toMatch(/fedops operations watch op-1/);
  });

  it('stops on a refused token instead of reconnecting', async () => {
    const { follow } = setUp((req) =>
      req.url.pathname.endsWith('/events')
        ? json(401, { title: 'Authentication required', detail: 'Invalid access token: expired' })
        : json(200, operation('running')),
    );
    await expect(follow()).rejects.toMatchObject({ exitCode: 3 });
  });
});
