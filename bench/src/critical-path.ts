import type { DEPLOY_STEPS } from '@fedops/workflows';

export type DeployStep = (typeof DEPLOY_STEPS)[number];

/** Which steps a step waits for: it starts only when all of them have finished. */
export type StepDependencies<S extends string> = Readonly<Record<S, readonly S[]>>;

/**
 * deployTenant's step graph (workflows/src/deploy-tenant.workflow.ts, patch `backup-alongside`):
 * the records need the machine's address, the configuration's ACME needs the records, and the
 * backup repository needs nothing, so it runs alongside the other three from the start.
 * Keyed by the workflow's own step list: a step added there fails the type check here.
 */
export const DEPLOY_STEP_DEPENDENCIES = {
  provision: [],
  dns: ['provision'],
  deploy: ['dns'],
  backup: [],
} as const satisfies StepDependencies<DeployStep>;

/** The step names of a dependency graph: its keys. */
type StepOf<D> = Extract<keyof D, string>;

export interface CriticalPath<S extends string = string> {
  /** Sum of the durations along the path (ms): the least time the steps can take with unlimited parallelism. */
  ms: number;
  /** The steps on the path, first to last. */
  steps: S[];
}

/**
 * The longest path through the step graph, weighted by each step's measured duration: what the
 * steps alone would take if every step started the moment the steps it depends on had finished.
 * Every step of the graph needs a duration (a missing one would shorten the path silently).
 * Ties go to the step listed first in `dependencies`.
 */
export function criticalPath<D extends StepDependencies<StepOf<D>>>(
  durationsMs: Readonly<Partial<Record<StepOf<D>, number>>>,
  dependencies: D,
): CriticalPath<StepOf<D>> {
  type S = StepOf<D>;
  const names = Object.keys(dependencies) as S[];
  const longest = new Map<S, CriticalPath<S>>();
  const visiting = new Set<S>();

  const pathTo = (step: S): CriticalPath<S> => {
    const known = longest.get(step);
    if (known !== undefined) return known;
    const duration = durationsMs[step];
    if (duration === undefined || !Number.isFinite(duration) || duration < 0)
      throw new Error(`step "${step}" has no valid duration (got ${String(duration)})`);
    if (visiting.has(step)) throw new Error(`step dependencies form a cycle through "${step}"`);
    visiting.add(step);
    let before: CriticalPath<S> = { ms: 0, steps: [] };
    for (const dependency of dependencies[step]) {
      if (!(dependency in dependencies))
        throw new Error(`step "${step}" depends on "${dependency}", which is not a step`);
      const candidate = pathTo(dependency);
      if (candidate.ms > before.ms || before.steps.length === 0) before = candidate;
    }
    visiting.delete(step);
    const path = { ms: before.ms + duration, steps: [...before.steps, step] };
    longest.set(step, path);
    return path;
  };

  let best: CriticalPath<S> | undefined;
  for (const step of names) {
    const path = pathTo(step);
    if (best === undefined || path.ms > best.ms) best = path;
  }
  if (best === undefined) throw new Error('critical path of an empty step graph');
  return best;
}
