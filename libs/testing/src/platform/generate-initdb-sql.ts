import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  COMPOSE_SERVICE_ROLES_COMMAND,
  COMPOSE_SERVICE_ROLES_FILE,
  composeServiceRolesScript,
} from './platform-database';
import { repoRoot } from './repo-root';

/**
 * Writes deploy/postgres/initdb/fedops-service-roles.psql from the statements that `npm start` and
 * the tests apply. With `--check`, writes nothing and exits 1 when the committed file differs.
 */
async function main(argv: string[]): Promise<void> {
  const file = join(repoRoot(), COMPOSE_SERVICE_ROLES_FILE);
  const text = composeServiceRolesScript();
  if (argv.includes('--check')) {
    if ((await readFile(file, 'utf8').catch(() => '')) !== text) {
      process.stderr.write(`${COMPOSE_SERVICE_ROLES_FILE} is stale: run ${COMPOSE_SERVICE_ROLES_COMMAND}\n`);
      process.exitCode = 1;
    }
    return;
  }
  await writeFile(file, text);
  process.stdout.write(`wrote ${COMPOSE_SERVICE_ROLES_FILE}\n`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(
    `generate-initdb-sql failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
