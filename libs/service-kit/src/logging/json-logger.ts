import type { LoggerService } from '@nestjs/common';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured logs: one JSON object per line on stdout, with the service name and a context. */
export class JsonLogger implements LoggerService {
  constructor(
    private readonly service: string,
    private readonly level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  ) {}

  child(context: string): ContextLogger {
    return new ContextLogger(this, context);
  }

  emit(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const entry: Record<string, unknown> = {
      time: new Date().toISOString(),
      level,
      service: this.service,
      msg,
    };
    for (const [k, v] of Object.entries(fields)) entry[k] = v instanceof Error ? serialiseError(v) : v;
    this.write(JSON.stringify(entry));
  }

  // LoggerService (Nest): message first, optional context last.
  log(message: unknown, ...rest: unknown[]): void {
    this.emit('info', String(message), contextOf(rest));
  }
  error(message: unknown, ...rest: unknown[]): void {
    const fields = contextOf(rest);
    if (typeof rest[0] === 'string' && rest.length > 1) fields['stack'] = rest[0];
    this.emit('error', message instanceof Error ? message.message : String(message), fields);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', String(message), contextOf(rest));
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', String(message), contextOf(rest));
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', String(message), contextOf(rest));
  }
}

export class ContextLogger {
  constructor(
    private readonly root: JsonLogger,
    private readonly context: string,
  ) {}
  debug(msg: string, fields: Record<string, unknown> = {}): void {
    this.root.emit('debug', msg, { context: this.context, ...fields });
  }
  info(msg: string, fields: Record<string, unknown> = {}): void {
    this.root.emit('info', msg, { context: this.context, ...fields });
  }
  warn(msg: string, fields: Record<string, unknown> = {}): void {
    this.root.emit('warn', msg, { context: this.context, ...fields });
  }
  error(msg: string, fields: Record<string, unknown> = {}): void {
    this.root.emit('error', msg, { context: this.context, ...fields });
  }
}

function contextOf(rest: unknown[]): Record<string, unknown> {
  const last = rest[rest.length - 1];
  return typeof last === 'string' ? { context: last } : {};
}

export function serialiseError(err: Error): Record<string, unknown> {
  return {
    name: err.name,
    message: err.message,
    ...(err.cause instanceof Error ? { cause: serialiseError(err.cause) } : {}),
  };
}
