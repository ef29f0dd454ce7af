import type { OperationStep } from '@fedops/contracts';
import { createProgress, progressBar, stepPosition, type OperationSnapshot } from './progress';
import { CapturedOutput } from './testing/fake-io';

const steps = (...statuses: OperationStep['status'][]): OperationStep[] =>
  statuses.map((status, i) => ({ name: ['provision', 'dns', 'deploy', 'backup'][i] ?? `s${i}`, status }));

describe('progress', () => {
  it('says which step of how many is under way', () => {
    expect(stepPosition([])).toEqual({ index: 0, total: 0 });
    expect(stepPosition(steps('pending', 'pending', 'pending', 'pending'))).toEqual({
      index: 1,
      total: 4,
      name: 'provision',
    });
    expect(stepPosition(steps('succeeded', 'running', 'pending', 'pending'))).toEqual({
      index: 2,
      total: 4,
      name: 'dns',
    });
    expect(stepPosition(steps('succeeded', 'succeeded', 'pending', 'pending'))).toEqual({
      index: 3,
      total: 4,
      name: 'deploy',
    });
    expect(stepPosition(steps('succeeded', 'succeeded', 'succeeded', 'succeeded'))).toEqual({
      index: 4,
      total: 4,
      name: 'backup',
    });
  });

  it('fills the bar by the steps that succeeded', () => {
    expect(progressBar(steps('succeeded', 'running', 'pending', 'pending'), 8)).toBe('[##------]');
    expect(progressBar([], 4)).toBe('[----]');
  });

  it('writes a plain line per step change when not on a terminal', () => {
    const out = new CapturedOutput(false);
    let now = 0;
    const progress = createProgress(out, () => now);
    const op = (status: OperationSnapshot['status'], s: OperationStep[]): OperationSnapshot => ({
      id: 'abcdef012345',
      kind: 'deploy',
      status,
      steps: s,
    });
    progress.update(op('pending', []));
    progress.update(op('running', steps('running', 'pending')));
    progress.update(op('running', steps('running', 'pending')));
    progress.update(op('running', steps('succeeded', 'running')));
    now = 14_000;
    progress.finish(op('succeeded', steps('succeeded', 'succeeded')));
    expect(out.text.split('\n')).toEqual([
      'deploy abcdef01: pending',
      'deploy abcdef01: step 1 of 2 provision running',
      'deploy abcdef01: step 1 of 2 provision succeeded',
      'deploy abcdef01: step 2 of 2 dns running',
      'deploy abcdef01: step 2 of 2 dns succeeded',
      'deploy abcdef01: succeeded in 14 s',
      '',
    ]);
  });

  it('redraws one line on a terminal and ends it with the outcome', () => {
    const out = new CapturedOutput(true, 80);
    const progress = createProgress(out, () => 0);
    progress.update({
      id: 'abcdef012345',
      kind: 'deploy',
      status: 'running',
      steps: steps('succeeded', 'running', 'pending', 'pending'),
    });
    progress.finish({
      id: 'abcdef012345',
      kind: 'deploy',
      status: 'failed',
      steps: steps('succeeded', 'failed', 'pending', 'pending'),
    });
    const frames = out.text.split('\r\x1b[2K').filter((f) => f !== '');
    expect(frames).toEqual([
      'deploy abcdef01 [#####---------------] step 2 of 4: dns  0 s',
      'deploy abcdef01 [#####---------------] failed in 0 s\n',
    ]);
  });
});
