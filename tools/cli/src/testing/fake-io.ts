import type { Io, OutputStream } from '../io';

/** A request the fake server saw. */
export interface SeenRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string | undefined;
}

/** Answers a request; return a Response (or throw, as fetch does for a network failure). */
export type Handler = (req: SeenRequest) => Response | Promise<Response>;

export class CapturedOutput implements OutputStream {
  text = '';
  constructor(
    readonly isTTY = false,
    readonly columns = 100,
  ) {}
  write(text: string): void {
    this.text += text;
  }
}

export interface FakeIo extends Io {
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;
  readonly requests: SeenRequest[];
  readonly slept: number[];
}

/**
 * An Io for running the command in-process: a fake server (the handler), captured stdout and
 * stderr, an environment, and sleeps that return at once (recorded in `slept`).
 */
export function fakeIo(
  handler: Handler,
  options: { env?: Record<string, string>; stdin?: string; interactive?: boolean; answers?: string[] } = {},
): FakeIo {
  const requests: SeenRequest[] = [];
  const slept: number[] = [];
  const answers = [...(options.answers ?? [])];
  const controller = new AbortController();
  let clock = Date.parse('2026-12-01T10:00:00.000Z');
  return {
    stdout: new CapturedOutput(),
    stderr: new CapturedOutput(),
    env: options.env ?? {},
    requests,
    slept,
    interactive: options.interactive ?? false,
    interrupted: controller.signal,
    now: () => clock,
    sleep: async (ms) => {
      slept.push(ms);
      clock += ms;
    },
    prompt: async () => answers.shift() ?? '',
    readStdin: async () => options.stdin ?? '',
    fetch: (async (input: string | URL | Request, init?: RequestInit) => {
      const req: SeenRequest = {
        method: init?.method ?? 'GET',
        url: new URL(String(input)),
        headers: new Headers(init?.headers),
        body: typeof init?.body === 'string' ? init.body : undefined,
      };
      requests.push(req);
      return handler(req);
    }) as typeof fetch,
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const problem = status >= 400 ? 'application/problem+json' : 'application/json';
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': problem, ...headers } });
}

/** A server-sent-events answer whose body is these chunks, then the end of the stream. */
export function eventStream(chunks: readonly string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

/** One SSE event as tenant-api writes it. */
export function sseEvent(id: number, kind: string, data: Record<string, unknown>): string {
  return `id: ${id}\nevent: ${kind}\ndata: ${JSON.stringify({ id: `e${id}`, tenantId: 't1', kind, source: 'test', at: '2026-12-01T10:00:00Z', data })}\n\n`;
}
