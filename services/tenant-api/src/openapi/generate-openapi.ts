import { readFile, writeFile } from 'node:fs/promises';
import type { OpenAPIObject } from '@nestjs/swagger';
import { format, resolveConfig } from 'prettier';
import { serialiseDocument } from './openapi-document';
import { OPENAPI_JSON_PATH, REGENERATE_COMMAND, buildPreviewDocument } from './openapi-preview';

/**
 * The text of docs/openapi.json: sorted keys, in the repository's prettier style so that
 * `npm run format` leaves the file as generated. (Prettier 3 loads its internals with dynamic
 * imports, which jest's CommonJS runtime refuses: openapi.spec.ts therefore compares parsed JSON.)
 */
async function renderOpenApiJson(document: OpenAPIObject): Promise<string> {
  const options = (await resolveConfig(OPENAPI_JSON_PATH)) ?? {};
  return format(serialiseDocument(document), { ...options, parser: 'json' });
}

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
