import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** Where output goes: stdout for results, stderr for progress, notices and errors. */
export interface OutputStream {
  write(text: string): void;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * Everything the command touches outside itself, so tests can run it in-process: streams, the
 * environment, the clock, HTTP, prompts and an interrupt signal (Ctrl-C).
 */
export interface Io {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof fetch;
  /** Whether stdin is a terminal (prompts are possible). */
  readonly interactive: boolean;
  /** Aborted on Ctrl-C. */
  readonly interrupted: AbortSignal;
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Asks on stderr and reads one line from stdin; `secret` hides what is typed. */
  prompt(question: string, options?: { secret?: boolean }): Promise<string>;
  /** All of stdin (for `--file -`, `--token -`). */
  readStdin(): Promise<string>;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The real process: its streams, environment and signals. */
export function processIo(interrupted: AbortSignal): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    fetch: globalThis.fetch,
    interactive: process.stdin.isTTY === true,
    interrupted,
    now: () => Date.now(),
    sleep,
    prompt: (question, options) => promptLine(question, options?.secret === true),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

async function promptLine(question: string, secret: boolean): Promise<string> {
  process.stderr.write(question);
  // Typed characters are echoed through this output; for a secret, nothing is.
  const muted = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      if (!secret) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: process.stdin.isTTY === true });
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => reject(new Error('stdin closed before an answer was given')));
    });
    if (secret) process.stderr.write('\n');
    return answer;
  } finally {
    rl.close();
  }
}
