/**
 * Faults on demand, the same vocabulary for every simulator; each simulator renders a fault the way
 * its vendor does (envelope, status, headers, task or action states).
 *
 * - `server-error`: a 5xx answer with the vendor's error body (or `status`), nothing done.
 * - `rate-limit`: 429 with the vendor's rate-limit headers, nothing done.
 * - `lock`: the vendor's "resource is locked / busy" refusal, nothing done.
 * - `lost-response`: the request is carried out, then the connection drops without an answer.
 * - `task-error`: the request is accepted; its task or action ends in error (`message`).
 * - `slow-task`: the request is accepted; its task or action takes `delayMs` longer.
 */
export const FAULT_KINDS = [
  'server-error',
  'rate-limit',
  'lock',
  'lost-response',
  'task-error',
  'slow-task',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  kind: FaultKind;
  /** HTTP method to match (default: any). */
  method?: string;
  /** Regular expression on the request path (default: any path). */
  path?: string;
  /** How many matching requests it hits before it is spent (default 1; 0 = every one). */
  times?: number;
  /** Chance that a matching request is hit (default 1). */
  probability?: number;
  /** `server-error`: the status (default 500 or 503 as the vendor would). */
  status?: number;
  /** `task-error`: the task's or action's error text. */
  message?: string;
  /** `slow-task`: extra duration. */
  delayMs?: number;
}

export interface FiredFault extends FaultRule {
  id: number;
}

/** A rule as added, with what matching it needs: the compiled path and the hits left (undefined: no end). */
interface ActiveRule {
  fault: FiredFault;
  remaining: number | undefined;
  pattern: RegExp | undefined;
}

/** The faults a simulator holds, matched against each request in the order they were added. */
export class FaultBook {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  /** How often each kind fired: tests and benchmarks read it to know the faults really happened. */
  readonly fired: Record<FaultKind, number> = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<
    FaultKind,
    number
  >;

  constructor(private readonly random: () => number = Math.random) {}

  /** Validates and adds a rule; returns its id. */
  add(rule: FaultRule): number {
    const problems = validateRule(rule);
    if (problems.length > 0) throw new FaultRuleError(problems);
    const id = this.nextId++;
    const times = rule.times ?? 1;
    this.rules.push({
      fault: { ...rule, id },
      remaining: times === 0 ? undefined : times,
      pattern: rule.path === undefined ? undefined : new RegExp(rule.path),
    });
    return id;
  }

  clear(): void {
    this.rules = [];
  }

  list(): FiredFault[] {
    return this.rules.map(({ fault, remaining }) => ({ ...fault, times: remaining ?? 0 }));
  }

  /** The first rule that matches this request and wins its draw; it is spent by one. */
  take(method: string, path: string, kinds: readonly FaultKind[] = FAULT_KINDS): FiredFault | undefined {
    for (const rule of this.rules) {
      const { fault } = rule;
      if (!kinds.includes(fault.kind)) continue;
      if (fault.method !== undefined && fault.method.toUpperCase() !== method) continue;
      if (rule.pattern !== undefined && !rule.pattern.test(path)) continue;
      if (fault.probability !== undefined && this.random() >= fault.probability) continue;
      if (rule.remaining !== undefined) {
        rule.remaining -= 1;
        if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
      }
      this.fired[fault.kind] += 1;
      return { ...fault };
    }
    return undefined;
  }
}

export class FaultRuleError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid fault rule: ${problems.join('; ')}`);
  }
}

function validateRule(rule: FaultRule): string[] {
  const problems: string[] = [];
  if (!(FAULT_KINDS as readonly string[]).includes(rule.kind)) {
    problems.push(`kind must be one of ${FAULT_KINDS.join(', ')}`);
  }
  if (rule.path !== undefined) {
    try {
      new RegExp(rule.path);
    } catch {
      problems.push('path must be a regular expression');
    }
  }
  if (rule.times !== undefined && (!Number.isInteger(rule.times) || rule.times < 0)) {
    problems.push('times must be a non-negative integer');
  }
  if (rule.probability !== undefined && !(rule.probability > 0 && rule.probability <= 1)) {
    problems.push('probability must be in (0, 1]');
  }
  if (
    rule.status !== undefined &&
    !(Number.isInteger(rule.status) && rule.status >= 500 && rule.status < 600)
  ) {
    problems.push('status must be a 5xx code');
  }
  if (rule.delayMs !== undefined && !(Number.isInteger(rule.delayMs) && rule.delayMs >= 0)) {
    problems.push('delayMs must be a non-negative integer');
  }
  return problems;
}
