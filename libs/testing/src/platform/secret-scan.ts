import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A secret the platform of a test knows, named in findings by `name` (never by its value). */
export interface KnownSecret {
  /** E.g. `database password of role fedops_1a2b_tenant_api`. */
  readonly name: string;
  /** Strings whose appearance anywhere means the secret leaked: its value, or its distinctive parts. */
  readonly needles: readonly string[];
}

/** Where a secret was seen: `file:line`, an event's subject and sequence, or a recorded answer. */
export interface SecretFinding {
  readonly secret: string;
  readonly where: string;
}

/** Shorter needles are dropped: a short value (a test's own `x`) would be found by chance everywhere. */
export const MIN_NEEDLE_LENGTH = 16;

/** One API answer as the e2e client recorded it (a JSON line of the responses file). */
export interface RecordedResponse {
  method: string;
  path: string;
  status: number;
  body: string;
  /** Secrets this answer is meant to show (the one answer that shows a new API token), by name. */
  shows?: string[];
}

/** A message of the events stream, as scanned. */
export interface ScannedEvent {
  subject: string;
  seq: number;
  data: Uint8Array;
}

/** What a platform's run left to scan. */
export interface RunToScan {
  /** Log files (missing ones are skipped: a service that never started wrote none). */
  logFiles: readonly string[];
  /** JSON lines of RecordedResponse; may be missing (no answer recorded). */
  responsesFile?: string;
  events?: AsyncIterable<ScannedEvent> | Iterable<ScannedEvent>;
  secrets: readonly KnownSecret[];
}

/** The names of the secrets in `text`, less those in `except`. */
export function secretsIn(
  text: string,
  secrets: readonly KnownSecret[],
  except: ReadonlySet<string> = new Set(),
): string[] {
  return secrets
    .filter((s) => !except.has(s.name))
    .filter((s) => s.needles.some((n) => n.length >= MIN_NEEDLE_LENGTH && text.includes(n)))
    .map((s) => s.name);
}

/** Every place in the run's logs, recorded answers and events where one of its secrets appears. */
export async function scanRunForSecrets(run: RunToScan): Promise<SecretFinding[]> {
  const findings: SecretFinding[] = [];
  for (const file of run.logFiles) {
    if (!existsSync(file)) continue;
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      for (const secret of secretsIn(line, run.secrets)) findings.push({ secret, where: `${file}:${i + 1}` });
    });
  }
  if (run.responsesFile !== undefined && existsSync(run.responsesFile)) {
    const file = run.responsesFile;
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const { method, path, status, body, shows } = JSON.parse(line) as RecordedResponse;
      for (const secret of secretsIn(body, run.secrets, new Set(shows ?? []))) {
        findings.push({ secret, where: `${file}:${i + 1} (the answer to ${method} ${path}, ${status})` });
      }
    });
  }
  for await (const event of run.events ?? []) {
    const text = Buffer.from(event.data).toString('utf8');
    for (const secret of secretsIn(text, run.secrets)) {
      findings.push({ secret, where: `event ${event.subject} (stream sequence ${event.seq})` });
    }
  }
  return findings;
}

/** The error a platform's stop throws for findings: names and places only, never a secret's value. */
export function secretsLeakedError(platform: string, findings: readonly SecretFinding[]): Error {
  const shown = findings.slice(0, 50).map((f) => `  ${f.secret}: ${f.where}`);
  const more = findings.length > shown.length ? [`  ... and ${findings.length - shown.length} more`] : [];
  return new Error(
    `Secrets of test platform ${platform} leaked into its logs, events or API answers ` +
      `(${findings.length} finding${findings.length === 1 ? '' : 's'}):\n${[...shown, ...more].join('\n')}`,
  );
}

/**
 * The secrets a platform keeps in its data dir (platform-keys.ts): each service role's database
 * password, the secret key and the SSH private key. Of the key, the needles are the lines of its
 * base64 body after the first two, which hold only the format's header and the public key.
 */
export async function platformKeySecrets(dataDir: string): Promise<KnownSecret[]> {
  const keys = join(dataDir, 'keys');
  const secrets: KnownSecret[] = [];
  const databaseDir = join(keys, 'database');
  const passwordFiles = existsSync(databaseDir)
    ? (await readdir(databaseDir)).filter((f) => f.endsWith('.password'))
    : [];
  for (const file of passwordFiles.sort()) {
    const password = (await readFile(join(databaseDir, file), 'utf8')).trim();
    secrets.push({
      name: `database password of role ${file.replace(/\.password$/, '')}`,
      needles: [password],
    });
  }
  const secretKey = join(keys, 'secret.key');
  if (existsSync(secretKey)) {
    secrets.push({
      name: 'secret key (FEDOPS_SECRET_KEY)',
      needles: [(await readFile(secretKey, 'utf8')).trim()],
    });
  }
  const sshKey = join(keys, 'id_ed25519');
  if (existsSync(sshKey)) {
    const body = (await readFile(sshKey, 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('-----'));
    secrets.push({ name: 'SSH private key (keys/id_ed25519)', needles: body.slice(2) });
  }
  return secrets;
}

/** A JWT's needle: its signature, which no other token shares (header and claims may repeat). */
export function jwtNeedle(token: string): string {
  return token.split('.')[2] ?? token;
}
