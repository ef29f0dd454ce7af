import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeliverPolicy, type NatsConnection } from 'nats';
import { EVENTS_STREAM } from '@fedops/contracts';
import { dropServiceRoles } from '../infra/service-roles';
import type { InfraEndpoints } from '../infra/types';
import { connectTestNats, createTestDatabase, dropTestDatabase, testInfra } from '../jest/test-infra';
import { fetchToken } from '../oidc/fetch-token';
import { startOidcIssuer, type OidcIssuerHandle } from '../oidc/oidc-issuer';
import { startApiRecording, stopApiRecording, type ApiRecording } from './api-recording';
import { platformServiceRolesPlan, provisionPlatformDatabase } from './platform-database';
import { Platform, type PlatformOptions } from './platform-runner';
import { repoRoot } from './repo-root';
import { destroySandboxMachines } from './sandbox-cleanup';
import {
  jwtNeedle,
  platformKeySecrets,
  scanRunForSecrets,
  secretsLeakedError,
  type KnownSecret,
  type ScannedEvent,
  type SecretFinding,
} from './secret-scan';

export interface TestPlatform {
  platform: Platform;
  issuer: OidcIssuerHandle;
  apiUrl: string;
  /** Access tokens of the seeded callers. */
  tokens: { ops: string; acme: string; globex: string };
  dataDir: string;
  /**
   * Stops everything and removes what the platform made. Before that it scans the services' and the
   * issuer's logs, the events published since its start and the API answers the e2e client recorded
   * (api-recording.ts) for the secrets it knows, and throws naming each one found and where.
   */
  stop(): Promise<void>;
}

/**
 * The whole platform for an end-to-end test: the five services as processes, on the
 * infrastructure of the jest global setup, with its own database, issuer and sandbox prefix.
 */
export async function startTestPlatform(
  name: string,
  overrides: Partial<
    Pick<
      PlatformOptions,
      'sandboxBootDelayMs' | 'extraEnv' | 'logLevel' | 'portPicker' | 'backupIntervalHours'
    >
  > = {},
): Promise<TestPlatform> {
  const infra = testInfra();
  const dataDir = await mkdtemp(join(tmpdir(), `fedops-e2e-${name}-`));
  const issuer = await startOidcIssuer({ dataDir: join(dataDir, 'oidc') });
  const databaseUrl = await createTestDatabase(name);
  // Roles belong to the whole server, which test files share: each platform has its own.
  const rolePrefix = `fedops_${randomBytes(4).toString('hex')}`;
  const rolesPlan = platformServiceRolesPlan(new URL(databaseUrl).pathname.slice(1), rolePrefix);
  let platform: Platform | undefined;
  /** Whatever a test left behind (a failed test never reaches its own cleanup) goes with the platform. */
  const cleanUp = async (): Promise<void> => {
    await platform?.stop();
    await issuer.stop();
    await destroySandboxMachines(dataDir, 'fte');
    await dropTestDatabase(databaseUrl);
    await dropServiceRoles(infra.postgres.url, rolesPlan);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const database = await provisionPlatformDatabase({ adminUrl: databaseUrl, dataDir, rolePrefix });
    platform = await Platform.start({
      repoRoot: repoRoot(),
      dataDir,
      infra,
      databaseUrls: database.urls,
      oidcIssuerUrl: issuer.issuerUrl,
      sandboxPrefix: 'fte',
      // No scheduled backups unless a test asks (a tenant's policy, or this option): all test
      // platforms share one Temporal namespace, and a schedule firing in the middle of another test
      // would add operations that test does not expect.
      backupIntervalHours: 0,
      ...overrides,
      extraEnv: {
        ...overrides.extraEnv,
        // Tests poll one token hard; the rate-limit test sets its own low limit.
        'tenant-api': { FEDOPS_RATE_LIMIT_REQUESTS: '100000', ...overrides.extraEnv?.['tenant-api'] },
      },
    });
    const [ops, acme, globex] = await Promise.all([
      fetchToken(issuer.issuerUrl, issuer.clients.ops),
      fetchToken(issuer.issuerUrl, issuer.clients.acme),
      fetchToken(issuer.issuerUrl, issuer.clients.globex),
    ]);
    const running = platform;
    const tokens = { ops, acme, globex };
    const eventsFrom = await nextEventSequence();
    const recording = startApiRecording(running.apiUrl, join(dataDir, 'api-responses.jsonl'));
    const stop = async (): Promise<void> => {
      let findings: SecretFinding[] = [];
      let scanError: unknown;
      try {
        // Stopped first, so every log line is written.
        await running.stop();
        await issuer.stop();
        findings = await scanPlatformRun({ dataDir, infra, issuer, tokens, recording, eventsFrom });
      } catch (err) {
        scanError = err;
      } finally {
        stopApiRecording(running.apiUrl);
        await cleanUp();
      }
      if (findings.length > 0) throw secretsLeakedError(name, findings);
      if (scanError !== undefined) throw scanError;
    };
    return { platform: running, issuer, apiUrl: running.apiUrl, tokens, dataDir, stop };
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/** The sequence the next event of the shared events stream will have (1 when there is no stream yet). */
async function nextEventSequence(): Promise<number> {
  const nc = await connectTestNats();
  try {
    const info = await (await nc.jetstreamManager()).streams.info(EVENTS_STREAM).catch(() => undefined);
    return (info?.state.last_seq ?? 0) + 1;
  } finally {
    await nc.close();
  }
}

/**
 * The scan of TestPlatform.stop. The platforms of a run share one NATS server, so the events since
 * this platform started include other platforms': only this platform's secrets are looked for, and
 * its own are random, so whatever is found is its leak. Infrastructure secrets (NATS, PostgreSQL,
 * PowerDNS, S3) are shared by the run; finding them is a leak all the same.
 */
async function scanPlatformRun(run: {
  dataDir: string;
  infra: InfraEndpoints;
  issuer: OidcIssuerHandle;
  tokens: Record<string, string>;
  recording: ApiRecording;
  eventsFrom: number;
}): Promise<SecretFinding[]> {
  const { infra, issuer } = run;
  const secrets: KnownSecret[] = [
    ...(await platformKeySecrets(run.dataDir)),
    ...[infra.nats.admin, ...Object.values(infra.nats.services)].map((c) => ({
      name: `NATS password of ${c.user}`,
      needles: [c.password],
    })),
    { name: `PostgreSQL password of ${infra.postgres.user}`, needles: [infra.postgres.password] },
    { name: 'PowerDNS API key', needles: [infra.powerdns.apiKey] },
    { name: 'S3 secret access key', needles: [infra.s3.secretAccessKey] },
    ...Object.values(issuer.clients).map((c) => ({
      name: `OIDC client secret of ${c.clientId}`,
      needles: [c.clientSecret],
    })),
    ...Object.entries(run.tokens).map(([caller, token]) => ({
      name: `access token of the ${caller} caller`,
      needles: [jwtNeedle(token)],
    })),
    ...run.recording.minted,
  ];
  const logs = join(run.dataDir, 'logs');
  const logFiles = (await readdir(logs).catch(() => [])).map((f) => join(logs, f));
  const nc = await connectTestNats();
  try {
    return await scanRunForSecrets({
      logFiles: [...logFiles, issuer.logFile],
      responsesFile: run.recording.responsesFile,
      events: eventsSince(nc, run.eventsFrom),
      secrets,
    });
  } finally {
    await nc.close();
  }
}

/** Every message of the events stream from sequence `from` to the last one when called. */
async function* eventsSince(nc: NatsConnection, from: number): AsyncGenerator<ScannedEvent> {
  const info = await (await nc.jetstreamManager()).streams.info(EVENTS_STREAM).catch(() => undefined);
  if (info === undefined || info.state.last_seq < from) return;
  const last = info.state.last_seq;
  const consumer = await nc.jetstream().consumers.get(EVENTS_STREAM, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: from,
  });
  const messages = await consumer.consume({ max_messages: 1_000 });
  // A stream that lost messages meanwhile (age limit) ends the read early rather than never.
  const deadline = setTimeout(() => void messages.close(), 60_000);
  try {
    for await (const m of messages) {
      yield { subject: m.subject, seq: m.seq, data: m.data };
      if (m.seq >= last || m.info.pending === 0) break;
    }
  } finally {
    clearTimeout(deadline);
    await messages.close();
  }
}
