import { readFile, writeFile } from 'node:fs/promises';
import {
  OPENAPI_JSON_PATH,
  REGENERATE_COMMAND,
  buildPreviewDocument,
  renderOpenApiJson,
} from './openapi-preview';

/**
 * Writes docs/openapi.json from the controllers, without any infrastructure. With `--check`, writes
 * nothing and exits 1 when the committed file differs (for CI).
 */
async function main(argv: string[]): Promise<void> {
  const text = await renderOpenApiJson(await buildPreviewDocument());
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

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(
    `generate-openapi failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
