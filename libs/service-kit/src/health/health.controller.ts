import { Controller, Get, HttpException, HttpStatus, Res, SetMetadata } from '@nestjs/common';
import type { Response } from 'express';
import { ServiceMetrics } from '../metrics/service-metrics';
import { ReadinessRegistry } from './readiness.registry';
import { JsonLogger } from '../logging/json-logger';
import { describeError } from '@fedops/domain';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** Route metadata marking a handler as open without authentication (read by tenant-api's guard). */
export const PUBLIC_ROUTE_KEY = 'fedops:public';

/** Liveness (the process answers) and readiness (its dependencies answer), plus Prometheus metrics. */
@Controller()
@SetMetadata(PUBLIC_ROUTE_KEY, true)
export class HealthController {
  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly logger: JsonLogger,
    private readonly metrics: ServiceMetrics,
  ) {}

  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(): Promise<{ status: 'ready'; checks: Record<string, 'ok'> }> {
    const results = await Promise.all(
      this.readiness.all().map(async (c) => {
        try {
          await c.check();
          return [c.name, 'ok'] as const;
        } catch (err) {
          // The endpoint is open: the reason goes to the log, not to the caller.
          this.logger.emit('warn', 'readiness check failed', { check: c.name, error: describeError(err) });
          return [c.name, 'failed'] as const;
        }
      }),
    );
    if (results.some(([, r]) => r !== 'ok')) {
      throw new HttpException(
        { status: 'not ready', checks: Object.fromEntries(results) },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
    return { status: 'ready', checks: Object.fromEntries(results) as Record<string, 'ok'> };
  }

  @Get('metrics')
  async metricsText(@Res() res: Response): Promise<void> {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    res.send(await this.metrics.registry.metrics());
  }
}
