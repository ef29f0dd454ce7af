import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { portsState, readState, writeState } from './component-state';
import { firstExecutable, goEnvGoPath } from './go-binary';
import { nativeComponent, spawnUntilReady } from './managed-process';
import { startOnPorts } from './port-allocation';
import {
  S3_BUCKET,
  S3_REGION,
  VERSITYGW_HEALTH_PATH,
  newS3Credentials,
  versitygwArgs,
  versitygwBinaryCandidates,
} from './s3.config';
import type { ComponentOptions, RunningComponent, S3Endpoint } from './types';

export interface S3Options extends ComponentOptions {
  /** Default: the saved keys (persistent) or fresh random ones. */
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
  /** Default from FEDOPS_VERSITYGW_BIN, `$(go env GOPATH)/bin/versitygw`, /root/go/bin, PATH. */
  readonly binary?: string;
}

/**
 * Starts versitygw, an S3 server, on its posix backend (`<dataDir>/buckets`: one directory per
 * bucket; log in `<dataDir>/versitygw.log`) with one root key pair (persistent: kept with the port
 * in `<dataDir>/fedops-state.json` as `accessKeyId` and `secretAccessKey`). Ready = its health
 * check answers; the bucket `fedops-backups` is a folder of the posix backend, made before it starts.
 */
export async function startS3(options: S3Options): Promise<RunningComponent<S3Endpoint>> {
  const dataDir = resolve(options.dataDir);
  const rootDir = join(dataDir, 'buckets');
  const logFile = join(dataDir, 'versitygw.log');
  // The posix backend's buckets are the root's folders: the platform's bucket exists from the start.
  await mkdir(join(rootDir, S3_BUCKET), { recursive: true });
  const binary = options.binary ?? (await findVersitygwBinary());

  const saved = options.ephemeral ? {} : await readState(dataDir);
  const savedKeys =
    typeof saved['accessKeyId'] === 'string' && typeof saved['secretAccessKey'] === 'string'
      ? { accessKeyId: saved['accessKeyId'], secretAccessKey: saved['secretAccessKey'] }
      : undefined;
  const fresh = savedKeys ?? newS3Credentials();
  const accessKeyId = options.accessKeyId ?? fresh.accessKeyId;
  const secretAccessKey = options.secretAccessKey ?? fresh.secretAccessKey;

  const { value: started, ports } = await startOnPorts({
    component: 's3',
    names: ['s3'],
    requested: { s3: options.port },
    saved,
    reuseSaved: !options.ephemeral,
    ...(options.portPicker ? { pickPorts: options.portPicker } : {}),
    start: async ({ s3: port }) => {
      const endpoint: S3Endpoint = {
        endpoint: `http://127.0.0.1:${port}`,
        region: S3_REGION,
        accessKeyId,
        secretAccessKey,
        bucket: S3_BUCKET,
      };
      const proc = await spawnUntilReady(
        {
          name: 'versitygw',
          command: binary,
          args: versitygwArgs({ port, rootDir, region: S3_REGION }),
          logFile,
          cwd: dataDir,
          env: { ...process.env, ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey },
        },
        () => s3Ready(endpoint),
        {
          description: `S3 (versitygw) on ${endpoint.endpoint} with bucket ${endpoint.bucket}`,
          timeoutMs: options.readyTimeoutMs ?? 60_000,
          ports: [port],
        },
      );
      return { proc, endpoint };
    },
  });
  const { proc, endpoint } = started;
  if (!options.ephemeral) await writeState(dataDir, { ...portsState(ports), accessKeyId, secretAccessKey });
  return nativeComponent(proc, endpoint, ports);
}

/**
 * versitygw's health answer (unauthenticated GET /health: 200). Whether the keys work is proved by
 * what uses them (restic, the backup service's S3Objects, their tests).
 */
export async function s3Ready(endpoint: S3Endpoint): Promise<boolean> {
  const response = await fetch(`${endpoint.endpoint}${VERSITYGW_HEALTH_PATH}`, {
    signal: AbortSignal.timeout(2_000),
  });
  await response.text();
  if (response.status !== 200) throw new Error(`versitygw health answered ${response.status}`);
  return true;
}

export async function findVersitygwBinary(): Promise<string> {
  const candidates = versitygwBinaryCandidates(process.env, await goEnvGoPath());
  const found = await firstExecutable(candidates);
  if (found !== undefined) return found;
  throw new Error(
    `versitygw (S3 server) not found (looked at ${candidates.join(', ')}). Run scripts/ensure-deps.sh or set FEDOPS_VERSITYGW_BIN.`,
  );
}
