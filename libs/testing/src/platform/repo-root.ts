import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The repository root, found from this file (same depth from src/ and dist/). */
export function repoRoot(): string {
  const root = resolve(__dirname, '..', '..', '..', '..');
  if (!existsSync(resolve(root, 'services'))) throw new Error(`Repository root not found from ${__dirname}`);
  return root;
}
