import { randomBytes } from 'node:crypto';
import { delimiter, join } from 'node:path';

/**
 * The S3 server (versitygw 1.8 with its posix backend) without its process: its arguments, where
 * its binary is, its keys.
 */

export const VERSITYGW_VERSION = 'v1.8.0';
/** versitygw's default region; passed explicitly so the endpoint and the server agree. */
export const S3_REGION = 'us-east-1';
/** The bucket the harness creates on every start: the backups' object storage. */
export const S3_BUCKET = 'fedops-backups';
/** Unauthenticated GET answering 200 `OK` (versitygw --health): compose's healthcheck. */
export const VERSITYGW_HEALTH_PATH = '/health';

export interface VersitygwArgs {
  readonly port: number;
  /** Top-level directory of the posix backend: each subdirectory is a bucket. */
  readonly rootDir: string;
  readonly region: string;
}

/** The root keys are not arguments: they go in ROOT_ACCESS_KEY_ID / ROOT_SECRET_ACCESS_KEY (not in `ps`). */
export function versitygwArgs(input: VersitygwArgs): string[] {
  return [
    '--port',
    `127.0.0.1:${input.port}`,
    '--region',
    input.region,
    '--health',
    VERSITYGW_HEALTH_PATH,
    // No line per request in the log (restic makes many).
    '--quiet',
    'posix',
    input.rootDir,
  ];
}

/**
 * Where to look for versitygw, in order: FEDOPS_VERSITYGW_BIN, `$(go env GOPATH)/bin/versitygw`,
 * `/root/go/bin/versitygw`, `versitygw` in each PATH directory.
 */
export function versitygwBinaryCandidates(
  env: { FEDOPS_VERSITYGW_BIN?: string; PATH?: string },
  goPath: string | undefined,
): string[] {
  const candidates: string[] = [];
  if (env.FEDOPS_VERSITYGW_BIN) candidates.push(env.FEDOPS_VERSITYGW_BIN);
  for (const dir of (goPath ?? '').split(':')) if (dir) candidates.push(join(dir, 'bin', 'versitygw'));
  candidates.push('/root/go/bin/versitygw');
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'versitygw'));
  return [...new Set(candidates)];
}

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Fresh root keys, in the shape of AWS's (20 upper-case characters; 40 hex digits: safe in .env and shells). */
export function newS3Credentials(): S3Credentials {
  return {
    accessKeyId: `FEDOPS${randomBytes(7).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(20).toString('hex'),
  };
}
