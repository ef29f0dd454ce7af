import { Injectable } from '@nestjs/common';
import type { ReadinessCheck } from './health.controller';

/** Checks that /readyz runs; modules add theirs at construction time. */
@Injectable()
export class ReadinessRegistry {
  private readonly checks: ReadinessCheck[] = [];
  add(check: ReadinessCheck): void {
    this.checks.push(check);
  }
  all(): ReadinessCheck[] {
    return [...this.checks];
  }
}
