import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { JsonLogger, LogLevel } from '../logging/json-logger';

let installed = false;

const LEVELS: Record<string, LogLevel> = {
  TRACE: 'debug',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Routes the Temporal SDK's logs (TypeScript and native core) into the service's JSON log, so every
 * line a service prints is one JSON object. Installs once per process, before the first worker.
 */
export function installTemporalRuntime(logger: JsonLogger): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry: LogEntry) => {
      const { sdkComponent, ...meta } = entry.meta ?? {};
      logger.emit(LEVELS[entry.level] ?? 'info', entry.message, {
        context: `temporal${typeof sdkComponent === 'string' ? `:${sdkComponent}` : ''}`,
        ...meta,
      });
    }),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
}
