/** What the benchmark asks of the load generator process and what it answers (over the IPC channel). */

export interface LoadJob {
  id: number;
  /** `http://127.0.0.1:<port>`: loopback only. */
  origin: string;
  /** Request paths, used in turn (request i gets paths[i % length]). */
  paths: string[];
  headers: Record<string, string>;
  ratePerSecond: number;
  /** Sent at the same rate before the measured window and not reported (connections, caches). */
  warmupMs: number;
  durationMs: number;
  /** A request without its whole answer after this long is an error (`timeout`). */
  timeoutMs: number;
  /** Keep-alive connections the generator may open; beyond them requests wait (and that wait counts). */
  maxConnections: number;
}

export interface LoadResult {
  id: number;
  /** Requests due in the measured window (after the warm-up). */
  sent: number;
  /** Of those, answered with a 2xx and a whole body. */
  ok: number;
  /** Latency of each `ok` request, from its intended send time to the last byte of its answer (ms). */
  latenciesMs: number[];
  /** The other answers, by `status <code>` or by error (`timeout`, `ECONNRESET`, ...). */
  errors: Record<string, number>;
  /** `ok` per second from the window's start to the last answer of a measured request. */
  achievedPerSecond: number;
  /** How late the generator sent requests after their intended time (ms): it kept up if this is small. */
  sendLagP50Ms: number;
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  /** Latency of the `ok` requests from their actual send instead (ms): without the generator's own lag. */
  fromSendP50Ms: number;
  fromSendP99Ms: number;
  /** Mean size of an `ok` answer's body (bytes). */
  meanBodyBytes: number;
  /** The generator's own CPU time during the job, as a share of one core. */
  generatorCpuShare: number;
  /** Connections opened during the whole job (warm-up included). */
  connections: number;
}

/** Generator -> benchmark: the measured window begins now (the benchmark samples CPU counters). */
export interface WindowStartMessage {
  type: 'window-start';
  id: number;
}

export interface ResultMessage {
  type: 'result';
  result: LoadResult;
}

export interface FailureMessage {
  type: 'failure';
  id: number;
  error: string;
}

export type GeneratorMessage = WindowStartMessage | ResultMessage | FailureMessage;
