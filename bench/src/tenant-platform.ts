import { join } from 'node:path';
import { isHostName, run } from '@fedops/sandbox-host';
import {
  destroySandboxMachines,
  ensureDatabase,
  fetchToken,
  Platform,
  provisionPlatformDatabase,
  repoRoot,
  startInfrastructure,
  startOidcIssuer,
  type Infrastructure,
  type OidcIssuerHandle,
} from '@fedops/testing';
import { BenchApiClient } from './api-client';
import { deleteTenants, describe } from './tenant-round';

/**
 * The whole platform as `npm start` runs it (PostgreSQL, NATS, Temporal and PowerDNS ephemeral on
 * free ports, the OIDC issuer, the five services), in `workDir`, with an API client of operator
 * `acme`. Shared by the benchmarks that create tenants through the public API.
 */
export class TenantPlatform {
  private constructor(
    readonly infra: Infrastructure,
    readonly api: BenchApiClient,
    /** The platform's data folder: service logs under `logs/`, sandbox state under `sandbox/`. */
    readonly platformDir: string,
    private readonly sandboxPrefix: string,
    private readonly issuer: OidcIssuerHandle,
    private readonly platform: Platform,
  ) {}

  static async start(options: {
    workDir: string;
    sandboxPrefix: string;
    /** The services' FEDOPS_LOG_LEVEL; `warn` unless given. */
    logLevel?: 'debug' | 'info' | 'warn' | 'error';
    say(msg: string): void;
  }): Promise<TenantPlatform> {
    const { workDir, sandboxPrefix, say } = options;
    const platformDir = join(workDir, 'platform');
    let infra: Infrastructure | undefined;
    let issuer: OidcIssuerHandle | undefined;
    let platform: Platform | undefined;
    try {
      say('starting PostgreSQL, NATS, Temporal, PowerDNS (ephemeral, free ports)');
      infra = await startInfrastructure({ dataDir: join(workDir, 'infra'), ephemeral: true });
      const database = await provisionPlatformDatabase({
        adminUrl: await ensureDatabase(infra.endpoints.postgres.url, 'fedops_bench'),
        dataDir: platformDir,
      });
      issuer = await startOidcIssuer({ dataDir: join(workDir, 'oidc'), accessTokenTtlSeconds: 3600 });
      say('starting the five services');
      platform = await Platform.start({
        repoRoot: repoRoot(),
        dataDir: platformDir,
        infra: infra.endpoints,
        databaseUrls: database.urls,
        oidcIssuerUrl: issuer.issuerUrl,
        sandboxPrefix,
        logLevel: options.logLevel ?? 'warn',
        // One operator token polls every tenant of a round every 100 ms (N x 10 requests/s): the
        // per-token limit would turn the round's deletions into 429s. The bench measures the
        // platform's work, not its rate limit (the tests raise it the same way).
        extraEnv: { 'tenant-api': { FEDOPS_RATE_LIMIT_REQUESTS: '100000' } },
      });
      const api = new BenchApiClient(
        platform.apiUrl,
        await fetchToken(issuer.issuerUrl, issuer.clients.acme),
      );
      return new TenantPlatform(infra, api, platformDir, sandboxPrefix, issuer, platform);
    } catch (err) {
      await platform?.stop().catch(() => undefined);
      await issuer?.stop().catch(() => undefined);
      await infra?.stop().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Deletes every tenant in `live` through the API (so every step's undo runs) and waits until each
   * is `deleted`; removes those from `live` and returns the errors, which it also adds to `problems`.
   */
  async deleteTenants(live: Set<string>, signal: AbortSignal, problems: string[]): Promise<string[]> {
    const outcomes = await deleteTenants(this.api, [...live], { signal, timeoutMs: 5 * 60_000 });
    const errors: string[] = [];
    for (const o of outcomes) {
      if (o.deleted) live.delete(o.id);
      else errors.push(`tenant ${o.id} not deleted: ${o.error ?? ''}`);
    }
    problems.push(...errors);
    return errors;
  }

  /** Stops the services, destroys sandbox machines left behind (a problem), then the issuer and the infrastructure. */
  async stop(problems: string[]): Promise<void> {
    await this.platform.stop().catch((err: unknown) => problems.push(`platform stop: ${describe(err)}`));
    await this.removeLeftoverMachines(problems);
    await this.issuer.stop().catch(() => undefined);
    await this.infra.stop().catch((err: unknown) => problems.push(`infrastructure stop: ${describe(err)}`));
  }

  /**
   * Last line of defence: sandbox machines the platform did not remove (a failed deletion, a crash)
   * are destroyed directly, then no namespace of the prefix may remain.
   */
  private async removeLeftoverMachines(problems: string[]): Promise<void> {
    try {
      const leftover = (await namespaces()).filter((n) => isHostName(this.sandboxPrefix, n));
      if (leftover.length > 0) {
        problems.push(`${leftover.length} sandbox namespace(s) left after deletion: ${leftover.join(', ')}`);
        await destroySandboxMachines(this.platformDir, this.sandboxPrefix);
      }
      const still = (await namespaces()).filter((n) => isHostName(this.sandboxPrefix, n));
      if (still.length > 0)
        problems.push(`sandbox namespaces still present after forced cleanup: ${still.join(', ')}`);
    } catch (err) {
      problems.push(`sandbox cleanup: ${describe(err)}`);
    }
  }
}

async function namespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.length > 0);
}
