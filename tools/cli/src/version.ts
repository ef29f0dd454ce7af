import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The version of tools/cli/package.json (found from src/ and dist/ alike). */
export const VERSION: string = ((): string => {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

export const USER_AGENT = `fedops-cli/${VERSION} node/${process.versions.node}`;
