import { join } from 'node:path';

/** Pure argument building for `temporal server start-dev` (Temporal CLI 1.5.1). */
export interface TemporalDevServerArgs {
  readonly port: number;
  readonly httpPort: number;
  readonly metricsPort: number;
  /** Web UI port; omitted = headless. */
  readonly uiPort?: number;
  /** SQLite file for persistent state; omitted = in memory. */
  readonly dbFile?: string;
  readonly namespaces?: readonly string[];
}

export function temporalDevServerArgs(options: TemporalDevServerArgs): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--http-port',
    String(options.httpPort),
    '--metrics-port',
    String(options.metricsPort),
    ...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
    ...(options.dbFile === undefined ? [] : ['--db-filename', options.dbFile]),
    ...(options.namespaces ?? []).flatMap((namespace) => ['--namespace', namespace]),
    '--log-level',
    'warn',
    '--log-format',
    'text',
  ];
}

/**
 * Where to look for the Temporal CLI, in order: FEDOPS_TEMPORAL_BIN, `$(go env GOPATH)/bin/temporal`,
 * `/root/go/bin/temporal`, `temporal` on PATH.
 */
export function temporalBinaryCandidates(
  env: { FEDOPS_TEMPORAL_BIN?: string },
  goPath: string | undefined,
): string[] {
  const candidates: string[] = [];
  if (env.FEDOPS_TEMPORAL_BIN) candidates.push(env.FEDOPS_TEMPORAL_BIN);
  for (const dir of (goPath ?? '').split(':')) if (dir) candidates.push(join(dir, 'bin', 'temporal'));
  candidates.push('/root/go/bin/temporal');
  return [...new Set(candidates)];
}
