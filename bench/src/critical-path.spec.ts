import { criticalPath, DEPLOY_STEP_DEPENDENCIES } from './critical-path';

describe('criticalPath over deployTenant steps', () => {
  it('is provision + dns + deploy when that chain takes longer than backup', () => {
    expect(
      criticalPath({ provision: 200, dns: 50, deploy: 9000, backup: 4000 }, DEPLOY_STEP_DEPENDENCIES),
    ).toEqual({ ms: 9250, steps: ['provision', 'dns', 'deploy'] });
  });

  it('is backup alone when it takes longer than the whole chain', () => {
    expect(
      criticalPath({ provision: 200, dns: 50, deploy: 3000, backup: 4000 }, DEPLOY_STEP_DEPENDENCIES),
    ).toEqual({ ms: 4000, steps: ['backup'] });
  });

  it('refuses durations that leave out a step of the graph', () => {
    expect(() => criticalPath({ provision: 200, dns: 50, deploy: 3000 }, DEPLOY_STEP_DEPENDENCIES)).toThrow(
      'step "backup" has no valid duration',
    );
  });
});

describe('criticalPath over any step graph', () => {
  it('follows the longer of two branches that join, not the sum of both', () => {
    // a -> b -> d and a -> c -> d: d waits for the slower of b and c.
    const graph = { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] } as const;
    expect(criticalPath({ a: 1, b: 10, c: 30, d: 2 }, graph)).toEqual({ ms: 33, steps: ['a', 'c', 'd'] });
  });

  it('gives a tie to the step listed first', () => {
    expect(criticalPath({ x: 5, y: 5 }, { x: [], y: [] })).toEqual({ ms: 5, steps: ['x'] });
  });

  it('refuses a cycle', () => {
    expect(() => criticalPath({ a: 1, b: 1 }, { a: ['b'], b: ['a'] })).toThrow('cycle');
  });

  it('refuses a dependency on a step that is not in the graph', () => {
    const graph: Record<string, readonly string[]> = { a: ['ghost'] };
    expect(() => criticalPath({ a: 1, ghost: 1 }, graph)).toThrow('depends on "ghost", which is not a step');
  });

  it('refuses a negative duration', () => {
    expect(() => criticalPath({ a: -1 }, { a: [] })).toThrow('step "a" has no valid duration');
  });
});
