import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../platform/repo-root';
import {
  COMPOSE_NATS_CONFIG_COMMAND,
  COMPOSE_NATS_CONFIG_FILE,
  renderComposeNatsAuthConfig,
} from './nats.config';

/**
 * Writes deploy/nats/fedops-auth.conf from the permission table the harness uses. With `--check`,
 * writes nothing and exits 1 when the committed file differs.
 */
async function main(argv: string[]): Promise<void> {
  const file = join(repoRoot(), COMPOSE_NATS_CONFIG_FILE);
  const text = renderComposeNatsAuthConfig();
  if (argv.includes('--check')) {
    if ((await readFile(file, 'utf8').catch(() => '')) !== text) {
      process.stderr.write(`${COMPOSE_NATS_CONFIG_FILE} is stale: run ${COMPOSE_NATS_CONFIG_COMMAND}\n`);
      process.exitCode = 1;
    }
    return;
  }
  await writeFile(file, text);
  process.stdout.write(`wrote ${COMPOSE_NATS_CONFIG_FILE}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(
    `generate-nats-config failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
