import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { GeneratorMessage, LoadJob, LoadResult } from './load-job';

/** The benchmark's handle on the load generator process (generator-process.ts), one job at a time. */
export class LoadGenerator {
  private nextId = 1;
  private exited: Error | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.once('exit', (code, signal) => {
      this.exited = new Error(`load generator exited with ${signal ?? `code ${String(code)}`}`);
    });
  }

  /** Forks the generator (compiled beside this file). */
  static async start(): Promise<LoadGenerator> {
    const child = fork(join(__dirname, 'generator-process.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', reject);
    });
    return new LoadGenerator(child);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /**
   * Runs one job; `onWindowStart` is called when the warm-up ends and the measured window begins.
   * Rejects if the generator fails the job or exits.
   */
  run(job: Omit<LoadJob, 'id'>, onWindowStart: () => void = () => undefined): Promise<LoadResult> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<LoadResult>((resolve, reject) => {
      const onMessage = (message: GeneratorMessage): void => {
        switch (message.type) {
          case 'window-start':
            if (message.id === id) onWindowStart();
            return;
          case 'result':
            if (message.result.id !== id) return;
            cleanup();
            resolve(message.result);
            return;
          case 'failure':
            if (message.id !== id) return;
            cleanup();
            reject(new Error(`load job failed: ${message.error}`));
            return;
        }
      };
      const onExit = (): void => {
        cleanup();
        reject(this.exited ?? new Error('load generator exited'));
      };
      const cleanup = (): void => {
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send({ ...job, id } satisfies LoadJob);
    });
  }

  /** Closes the IPC channel (the generator exits on disconnect) and waits for the exit. */
  async stop(): Promise<void> {
    if (this.exited || this.child.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}
