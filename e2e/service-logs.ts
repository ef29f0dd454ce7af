import { readFileSync } from 'node:fs';

/** One JSON line of a service's log (the fields the e2e tests look at). */
export interface LogLine {
  time?: string;
  msg?: string;
  activity?: string;
  workflowId?: string;
  attempt?: number;
}

/** The JSON lines of a service's log file, in order. */
export function logLines(file: string): LogLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}
