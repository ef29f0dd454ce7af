import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Real app servers that sandbox machines run in place of stand-in pages, built once by
 * `bash scripts/ensure-app-servers.sh` (called by scripts/ensure-deps.sh) into this folder.
 */
export const APP_SERVERS_DIR = join(homedir(), '.cache', 'fedops', 'app-servers');

/** Keep in step with DENDRITE_VERSION and GITEA_VERSION in scripts/ensure-app-servers.sh, which builds them. */
export const APP_SERVER_VERSIONS = {
  dendrite: 'v0.13.8',
  gitea: 'v1.27.3',
} as const;

export type AppServerBinary = 'dendrite' | 'generate-keys' | 'generate-config' | 'create-account' | 'gitea';

const PACKAGE_OF: Record<AppServerBinary, keyof typeof APP_SERVER_VERSIONS> = {
  dendrite: 'dendrite',
  'generate-keys': 'dendrite',
  'generate-config': 'dendrite',
  'create-account': 'dendrite',
  gitea: 'gitea',
};

/** The folder holding a package's binaries: `<APP_SERVERS_DIR>/<package>-<version>/bin`. */
export function appServerBinDir(pkg: keyof typeof APP_SERVER_VERSIONS): string {
  return join(APP_SERVERS_DIR, `${pkg}-${APP_SERVER_VERSIONS[pkg]}`, 'bin');
}

/** The path of an app server binary; throws, saying how to build it, when it is not there. */
export function appServerBinary(name: AppServerBinary): string {
  const pkg = PACKAGE_OF[name];
  const file = join(appServerBinDir(pkg), name);
  try {
    accessSync(file, constants.X_OK);
  } catch (err: unknown) {
    throw new Error(
      `${name} (${pkg} ${APP_SERVER_VERSIONS[pkg]}) is not built at ${file}: run \`bash scripts/ensure-app-servers.sh\``,
      { cause: err },
    );
  }
  return file;
}
