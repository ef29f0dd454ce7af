import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serialiseDocument } from './openapi-document';
import { buildPreviewDocument } from './openapi-preview';

/** docs/openapi.json at the repository root (four levels above both src/openapi and dist/openapi). */
export const OPENAPI_JSON_PATH = join(__dirname, '..', '..', '..', '..', 'docs', 'openapi.json');

/** How to regenerate the committed document; printed by the staleness checks. */
export const REGENERATE_COMMAND =
  'npx tsc -b services/tenant-api && node services/tenant-api/dist/openapi/generate-openapi.js';

/**
 * Writes docs/openapi.json from the controllers; with `--check`, writes nothing and exits 1 when the
 * committed file differs (for CI).
 */
async function main(argv: string[]): Promise<void> {
  const text = serialiseDocument(await buildPreviewDocument());
  if (argv.includes('--check')) {
    const committed = await readFile(OPENAPI_JSON_PATH, 'utf8').catch(() => '');
    if (committed !== text) {
      process.stderr.write(`docs/openapi.json is stale: run ${REGENERATE_COMMAND}\n`);
      process.exitCode = 1;
    }
    return;
  }
  await writeFile(OPENAPI_JSON_PATH, text);
  process.stdout.write(`wrote ${OPENAPI_JSON_PATH}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(
      `generate-openapi failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  });
}
