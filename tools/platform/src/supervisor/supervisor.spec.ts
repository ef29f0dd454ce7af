import { waitFor } from '@fedops/testing';
import { newRecord, transition, type ComponentRecord } from './component-lifecycle';
import { decideRestart, DEFAULT_RESTART_POLICY, NO_RESTARTS, type RestartPolicy } from './restart-policy';
import { exitDescription, Supervisor, type SupervisedProcess } from './supervisor';

const policy: RestartPolicy = {
  initialDelayMs: 500,
  multiplier: 2,
  maxDelayMs: 4_000,
  stableAfterMs: 60_000,
  maxRestarts: 3,
  windowMs: 120_000,
};

describe('decideRestart', () => {
  it('backs off exponentially up to the cap', () => {
    let history = NO_RESTARTS;
    const delays: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const decision = decideRestart({ ...policy, maxRestarts: 10 }, history, 1_000 + i, 10);
      if (decision.kind !== 'restart') throw new Error('expected a restart');
      delays.push(decision.delayMs);
      history = decision.history;
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 4_000]);
  });

  it('starts the delay over after the component stayed up stableAfterMs', () => {
    const history = { recent: [1_000], consecutive: 3 };
    expect(decideRestart(policy, history, 200_000, 60_000)).toMatchObject({ kind: 'restart', delayMs: 500 });
    expect(decideRestart(policy, history, 200_000, 59_999)).toMatchObject({
      kind: 'restart',
      delayMs: 4_000,
    });
  });

  it('gives up after maxRestarts within the window, and only within it', () => {
    const history = { recent: [10_000, 20_000, 30_000], consecutive: 3 };
    expect(decideRestart(policy, history, 40_000, 0)).toEqual({
      kind: 'give-up',
      reason: 'it needed 3 restarts within 2 min and exited again',
    });
    // The first restart left the window: two recent ones, so one more is allowed.
    expect(decideRestart(policy, history, 130_001, 0)).toMatchObject({
      kind: 'restart',
      history: { recent: [20_000, 30_000, 130_001] },
    });
  });

  it('has defaults that restart quickly and give up within minutes', () => {
    expect(DEFAULT_RESTART_POLICY).toMatchObject({ initialDelayMs: 500, maxRestarts: 5 });
  });
});

describe('component lifecycle', () => {
  const running = (at = 0): ComponentRecord =>
    transition(newRecord('nats'), { type: 'started', at, pid: 11 }, policy).record;

  it('goes starting -> running -> restarting on a crash, counting the restart', () => {
    expect(newRecord('nats').state).toBe('starting');
    expect(running()).toMatchObject({ state: 'running', pid: 11, runningSince: 0, restarts: 0 });
    const { record, command } = transition(
      running(),
      { type: 'exited', at: 5_000, how: 'signal SIGKILL' },
      policy,
    );
    expect(record).toMatchObject({
      state: 'restarting',
      pid: undefined,
      restarts: 1,
      lastExit: { at: 5_000, how: 'signal SIGKILL' },
    });
    expect(command).toEqual({ type: 'restart-after', delayMs: 500 });
    expect(transition(record, { type: 'started', at: 6_000, pid: 12 }, policy).record).toMatchObject({
      state: 'running',
      pid: 12,
      restarts: 1,
    });
  });

  it('treats a failed restart like a crash: backs off further, then gives up', () => {
    let record = transition(running(), { type: 'exited', at: 1_000, how: 'code 1' }, policy).record;
    const commands: string[] = [];
    for (let at = 2_000; record.state === 'restarting'; at += 1_000) {
      const next = transition(record, { type: 'start-failed', at, error: 'port 15432 in use' }, policy);
      record = next.record;
      commands.push(
        next.command.type === 'restart-after' ? `after ${next.command.delayMs}` : next.command.type,
      );
    }
    expect(commands).toEqual(['after 1000', 'after 2000', 'give-up']);
    expect(record).toMatchObject({ state: 'failed', restarts: 3 });
    expect(record.problem).toBe(
      'it needed 3 restarts within 2 min and exited again; last start failure: port 15432 in use',
    );
  });

  it('ignores exits once stopped (a stop is not a crash) and stays stopped', () => {
    const stopped = transition(running(), { type: 'stopped' }, policy).record;
    expect(stopped.state).toBe('stopped');
    expect(transition(stopped, { type: 'exited', at: 1, how: 'signal SIGTERM' }, policy)).toEqual({
      record: stopped,
      command: { type: 'none' },
    });
    expect(transition(stopped, { type: 'started', at: 1, pid: 2 }, policy).record.state).toBe('stopped');
  });
});

describe('exitDescription', () => {
  it('reads code or signal from the exit reason', () => {
    expect(exitDescription({ signal: 'SIGKILL', code: null })).toBe('signal SIGKILL');
    expect(exitDescription({ signal: null, code: 3 })).toBe('code 3');
    expect(exitDescription(new Error('nats-server (pid 4) exited with code 1'))).toBe('code 1');
  });
});

/** A process that exits when told to: `exit('SIGKILL')`. */
function fakeProcess(pid: number): SupervisedProcess & { exit(signal: string): void } {
  const controller = new AbortController();
  return {
    pid,
    exited: controller.signal,
    exit: (signal) => controller.abort({ signal, code: null }),
  };
}

describe('Supervisor', () => {
  const fast: Partial<RestartPolicy> = {
    initialDelayMs: 5,
    maxDelayMs: 20,
    maxRestarts: 3,
    windowMs: 60_000,
  };

  it('logs an exit with its signal, restarts the component and reports it running with a new pid', async () => {
    const lines: string[] = [];
    const supervisor = new Supervisor({ policy: fast, say: (line) => lines.push(line) });
    const first = fakeProcess(100);
    const second = fakeProcess(101);
    const restart = jest.fn(() => Promise.resolve(second));
    supervisor.add({ name: 'deployer', logFile: '/logs/deployer.log', restart });
    supervisor.started('deployer', first);
    expect(supervisor.status()[0]).toMatchObject({ state: 'running', pid: 100, restarts: 0 });

    first.exit('SIGKILL');
    await waitFor(() => supervisor.status()[0]?.pid === 101, { description: 'the restart' });

    expect(restart).toHaveBeenCalledTimes(1);
    expect(supervisor.status()[0]).toMatchObject({
      name: 'deployer',
      state: 'running',
      pid: 101,
      restarts: 1,
      lastExit: { how: 'signal SIGKILL' },
      logFile: '/logs/deployer.log',
      problem: null,
    });
    expect(lines[0]).toMatch(/^deployer \(pid 100\) exited with signal SIGKILL after \d+ ms$/);
    expect(lines).toContain('restarting deployer in 5 ms (restart 1)');
    expect(lines).toContain('deployer is running again (pid 101)');
    await supervisor.stop();
  });

  it('gives up loudly on a component that keeps failing, with its log tail, and keeps the others running', async () => {
    const lines: string[] = [];
    const gaveUp: string[] = [];
    const supervisor = new Supervisor({
      policy: fast,
      say: (line) => lines.push(line),
      logTail: (file) => Promise.resolve(`last line of ${file}: FATAL could not bind`),
      onGiveUp: (name) => gaveUp.push(name),
    });
    const broken = jest.fn(() =>
      Promise.reject(new Error('postgres is not ready: exited with code 1\nmore')),
    );
    supervisor.add({ name: 'postgres', logFile: '/logs/postgres.log', restart: broken });
    supervisor.add({ name: 'nats', logFile: undefined, restart: () => Promise.resolve(fakeProcess(9)) });
    const pg = fakeProcess(1);
    supervisor.started('postgres', pg);
    supervisor.started('nats', fakeProcess(2));

    pg.exit('SIGKILL');
    await waitFor(() => gaveUp.length > 0, { description: 'the supervisor to give up' });

    expect(gaveUp).toEqual(['postgres']);
    expect(broken).toHaveBeenCalledTimes(3); // maxRestarts
    const [postgres, nats] = supervisor.status();
    expect(postgres).toMatchObject({ state: 'failed', pid: null, restarts: 3 });
    expect(postgres?.problem).toMatch(/needed 3 restarts within 1 min/);
    expect(nats).toMatchObject({ state: 'running', pid: 2, restarts: 0 });
    const message = lines.find((line) => line.includes('GAVE UP'));
    expect(message).toContain(
      'GAVE UP on postgres: it needed 3 restarts within 1 min and exited again; last start failure: postgres is not ready: exited with code 1.',
    );
    expect(message).toContain('Its last exit: signal SIGKILL. It stays down; everything else keeps running.');
    expect(message).toContain('last line of /logs/postgres.log: FATAL could not bind');
    expect(lines).toContain('postgres did not start again: postgres is not ready: exited with code 1');
    await supervisor.stop();
  });

  it('does not take a stop for a crash: after stop() an exit restarts nothing and every state is stopped', async () => {
    const supervisor = new Supervisor({ policy: fast, say: () => undefined });
    const proc = fakeProcess(7);
    const restart = jest.fn(() => Promise.resolve(fakeProcess(8)));
    supervisor.add({ name: 'dns', logFile: undefined, restart });
    supervisor.started('dns', proc);

    await supervisor.stop();
    proc.exit('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 30)); // longer than any restart delay of `fast`

    expect(restart).not.toHaveBeenCalled();
    expect(supervisor.status()[0]).toMatchObject({ state: 'stopped', restarts: 0 });
  });

  it('cancels a pending restart when stopped during its backoff', async () => {
    const supervisor = new Supervisor({ policy: { ...fast, initialDelayMs: 10_000 }, say: () => undefined });
    const proc = fakeProcess(7);
    const restart = jest.fn(() => Promise.resolve(fakeProcess(8)));
    supervisor.add({ name: 'backup', logFile: undefined, restart });
    supervisor.started('backup', proc);
    proc.exit('SIGKILL');
    expect(supervisor.status()[0]?.state).toBe('restarting');

    await supervisor.stop();

    expect(restart).not.toHaveBeenCalled();
    expect(supervisor.status()[0]?.state).toBe('stopped');
  });

  it('restarts a component whose process had already exited when supervision began', async () => {
    const supervisor = new Supervisor({ policy: fast, say: () => undefined });
    const dead = fakeProcess(1);
    dead.exit('SIGKILL');
    supervisor.add({ name: 'temporal', logFile: undefined, restart: () => Promise.resolve(fakeProcess(2)) });
    supervisor.started('temporal', dead);
    await waitFor(() => supervisor.status()[0]?.pid === 2, { description: 'the restart' });
    expect(supervisor.status()[0]).toMatchObject({ state: 'running', restarts: 1 });
    await supervisor.stop();
  });
});
