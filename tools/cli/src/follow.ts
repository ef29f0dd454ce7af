import { isFinalOperationStatus, type OperationStep } from '@fedops/contracts';
import type { ApiClient, ApiResponse } from './api-client';
import type { OperationView } from './api-types';
import { ExitCode } from './exit-codes';
import { ApiError, CliError, InterruptedError } from './errors';
import type { Io } from './io';
import type { Progress } from './progress';
import { SseParser, type SseEvent } from './sse';
import { duration } from './table';

export interface FollowOptions {
  api: ApiClient;
  io: Io;
  operationId: string;
  progress: Progress;
  /** Give up (exit 1) when the operation has not ended by then. Default: wait as long as it takes. */
  timeoutMs?: number;
  /** Between polls of GET /v1/operations/{id} when the event stream is unavailable. */
  pollIntervalMs?: number;
  /** While streaming, the operation is also checked this often, in case its final event was lost. */
  checkIntervalMs?: number;
  /** A stream silent this long (the server sends a comment every 15 s) is taken as dead and reopened. */
  idleTimeoutMs?: number;
  /** Reconnections in a row without an event before falling back to polling. */
  maxReconnects?: number;
}

type StreamOutcome = 'finished' | 'unavailable' | 'broken';

/**
 * Follows an operation until it ends, showing its steps, and returns its final state as the API
 * answers GET /v1/operations/{id}. Reads the tenant's server-sent events (every event of the tenant
 * from the start, so nothing is missed between the first GET and the stream, and resuming with
 * Last-Event-ID after a broken connection); falls back to polling the operation when the server
 * has no event stream or it keeps failing.
 */
export async function followOperation(options: FollowOptions): Promise<ApiResponse<OperationView>> {
  const { api, io, operationId, progress } = options;
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : io.now() + options.timeoutMs;
  const maxReconnects = options.maxReconnects ?? 5;
  const path = `/v1/operations/${encodeURIComponent(operationId)}`;
  let current = await api.get<OperationView>(path);
  progress.update(current.body);

  const stillRunning = (): CliError =>
    new CliError(
      `operation ${operationId} is still ${current.body.status} after ${duration(options.timeoutMs ?? 0)}`,
      ExitCode.Failed,
      [`it goes on; follow it with \`fedops operations watch ${operationId}\``],
    );
  const interrupted = (): InterruptedError =>
    new InterruptedError([
      `the operation goes on; follow it with \`fedops operations watch ${operationId}\``,
    ]);

  const stream = new EventStreamFollower(options, current.body.tenantId, deadline, (steps) => {
    // The stream replays the tenant's events from the start: progress older than what is shown is past.
    if (latestStepTime(steps) < latestStepTime(current.body.steps)) return;
    current = { ...current, body: { ...current.body, steps, status: runningStatus(current.body.status) } };
    progress.update(current.body);
  });

  try {
    let reconnects = 0;
    while (!isFinalOperationStatus(current.body.status)) {
      if (io.now() >= deadline) throw stillRunning();
      const outcome = await stream.once(async () => {
        current = await api.get<OperationView>(path);
        progress.update(current.body);
        return isFinalOperationStatus(current.body.status);
      });
      if (outcome === 'finished') {
        current = await api.get<OperationView>(path);
        if (isFinalOperationStatus(current.body.status)) break;
      }
      if (outcome === 'unavailable') break;
      reconnects = stream.sawEvents ? 0 : reconnects + 1;
      if (reconnects > maxReconnects) break;
      if (outcome === 'broken') {
        await io.sleep(
          Math.min(stream.retryMs ?? 1000 * 2 ** Math.max(0, reconnects - 1), 10_000),
          io.interrupted,
        );
        current = await api.get<OperationView>(path);
        progress.update(current.body);
      }
    }
    // No (working) event stream: poll.
    while (!isFinalOperationStatus(current.body.status)) {
      if (io.now() >= deadline) throw stillRunning();
      await io.sleep(options.pollIntervalMs ?? 2000, io.interrupted);
      current = await api.get<OperationView>(path);
      progress.update(current.body);
    }
    return current;
  } catch (err) {
    if (io.interrupted.aborted || err instanceof InterruptedError) throw interrupted();
    throw err;
  } finally {
    progress.finish(current.body);
  }
}

/**
 * The last time a step started or finished: it only grows as an operation goes on (its workflow
 * stamps each step), so of two reports of one operation the later has the larger (or the same).
 */
export function latestStepTime(steps: readonly OperationStep[]): number {
  let latest = Number.NEGATIVE_INFINITY;
  for (const step of steps) {
    for (const at of [step.startedAt, step.finishedAt]) {
      const t = at === undefined ? NaN : Date.parse(at);
      if (!Number.isNaN(t) && t > latest) latest = t;
    }
  }
  return latest;
}

function runningStatus(status: OperationView['status']): OperationView['status'] {
  return status === 'pending' ? 'running' : status;
}

/** One connection to the tenant's event stream at a time, resuming where the last one ended. */
class EventStreamFollower {
  lastEventId = '';
  retryMs: number | undefined;
  /** Whether the last connection delivered an event (then a reconnect is not a failure in a row). */
  sawEvents = false;

  constructor(
    private readonly options: FollowOptions,
    private readonly tenantId: string,
    private readonly deadline: number,
    private readonly onSteps: (steps: OperationStep[]) => void,
  ) {}

  /** Reads the stream until the operation's final event, a final state seen by `check`, or a break. */
  async once(check: () => Promise<boolean>): Promise<StreamOutcome> {
    const { api, io, operationId } = this.options;
    this.sawEvents = false;
    const stop = new AbortController();
    const signal = AbortSignal.any([stop.signal, io.interrupted]);
    let finalSeen = false;
    let idle: NodeJS.Timeout | undefined;
    const alive = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => stop.abort(), this.options.idleTimeoutMs ?? 45_000);
    };
    const checker = setInterval(() => {
      check().then(
        (final) => {
          if (final) {
            finalSeen = true;
            stop.abort();
          }
        },
        () => undefined, // a failed check is not a reason to stop streaming
      );
    }, this.options.checkIntervalMs ?? 15_000);
    const untilDeadline = this.deadline - io.now();
    const deadline = Number.isFinite(untilDeadline)
      ? setTimeout(() => stop.abort(), Math.max(0, untilDeadline))
      : undefined;

    try {
      let res: Response;
      try {
        res = await api.openEventStream(
          `/v1/tenants/${encodeURIComponent(this.tenantId)}/events`,
          this.lastEventId,
          signal,
        );
      } catch (err) {
        if (err instanceof InterruptedError) throw err;
        return 'broken';
      }
      if (res.status === 401 || res.status === 403) {
        const text = await res.text().catch(() => '');
        throw new ApiError(res.status, text, 'GET', `/v1/tenants/${this.tenantId}/events`);
      }
      const eventStream = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
      if (res.status !== 200 || !eventStream || res.body === null) {
        await res.body?.cancel().catch(() => undefined);
        // No such stream here (or a proxy that does not pass it): polling will do. A 5xx may pass.
        return res.status >= 500 ? 'broken' : 'unavailable';
      }
      const parser = new SseParser();
      parser.lastEventId = this.lastEventId;
      alive();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          alive();
          for (const event of parser.push(chunk)) {
            this.lastEventId = parser.lastEventId;
            this.sawEvents = true;
            if (this.handle(event, operationId)) return 'finished';
          }
          this.retryMs = parser.retry;
        }
      } catch {
        // Stopped here (idle, deadline, final state seen) or the connection broke: the caller decides.
        if (io.interrupted.aborted) throw new InterruptedError();
      }
      return finalSeen ? 'finished' : 'broken';
    } finally {
      clearTimeout(idle);
      clearInterval(checker);
      clearTimeout(deadline);
      stop.abort();
    }
  }

  /** True for the operation's final event. */
  private handle(event: SseEvent, operationId: string): boolean {
    if (event.event !== 'operation.progress' && event.event !== 'operation.finished') return false;
    let data: { operationId?: unknown; steps?: unknown };
    try {
      data = ((JSON.parse(event.data) as { data?: unknown }).data ?? {}) as typeof data;
    } catch {
      return false;
    }
    if (data.operationId !== operationId) return false;
    if (event.event === 'operation.finished') return true;
    if (Array.isArray(data.steps)) this.onSteps(data.steps as OperationStep[]);
    return false;
  }
}
