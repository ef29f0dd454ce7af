import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const STANDIN_SCRIPT_NAME = 'fedops-standin-activate.js';

/**
 * Where the stand-in program sits next to this module. tsc does not copy .js files: the build must
 * copy `src/activation/sandbox-standin/*.js` to `dist/activation/sandbox-standin/`.
 */
export function standinScriptPath(): string {
  return path.join(__dirname, 'sandbox-standin', STANDIN_SCRIPT_NAME);
}

export async function readStandinScript(file = standinScriptPath()): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err: unknown) {
    throw new Error(
      `The sandbox activation stand-in is missing at ${file}; copy src/activation/sandbox-standin/*.js into dist when building`,
      { cause: err },
    );
  }
}
