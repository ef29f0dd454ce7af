import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export const STANDIN_SCRIPT_NAME = 'fedops-standin-activate.js';
/** The stand-in's launch recipes and helpers (real servers, the machine PostgreSQL), beside the script. */
export const STANDIN_APP_SERVERS_DIR = 'app-servers';

/**
 * Where the stand-in's folder sits next to this module. tsc copies its .js files to dist (the
 * deployer's tsconfig includes `src/activation/sandbox-standin/*.js` and `.../app-servers/*.js`).
 */
export function standinDir(): string {
  return path.join(__dirname, 'sandbox-standin');
}

export interface StandinFile {
  /** Relative to the folder the script runs from, `/`-separated. */
  path: string;
  content: Buffer;
  mode: number;
}

/**
 * Everything the stand-in needs on a machine: the script and every `.js` file of its app-servers
 * folder. The folder is the one list of files: a recipe added there is shipped without naming it here.
 */
export async function readStandinFiles(dir = standinDir()): Promise<StandinFile[]> {
  try {
    const recipes = (await readdir(path.join(dir, STANDIN_APP_SERVERS_DIR)))
      .filter((name) => name.endsWith('.js'))
      .sort();
    return [
      {
        path: STANDIN_SCRIPT_NAME,
        content: await readFile(path.join(dir, STANDIN_SCRIPT_NAME)),
        mode: 0o755,
      },
      ...(await Promise.all(
        recipes.map(async (name) => ({
          path: path.posix.join(STANDIN_APP_SERVERS_DIR, name),
          content: await readFile(path.join(dir, STANDIN_APP_SERVERS_DIR, name)),
          mode: 0o644,
        })),
      )),
    ];
  } catch (err: unknown) {
    throw new Error(
      `The sandbox activation stand-in is incomplete at ${dir}; the build must copy src/activation/sandbox-standin/**/*.js into dist`,
      { cause: err },
    );
  }
}
