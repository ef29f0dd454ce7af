import path from 'node:path';

/**
 * Settings for a Nix that only parses and evaluates: it never builds, so it needs no build users
 * (`build-users-group` empty; as root Nix otherwise expects a `nixbld` group, which Debian's
 * nix-bin does not create, and warns on every call), and it never fetches (no substituters). Given
 * through NIX_CONFIG, which Nix reads after its configuration files, so no nix.conf on the machine
 * can bring the warning back.
 */
export const EVALUATE_ONLY_NIX_CONFIG = ['build-users-group =', 'substituters ='].join('\n');

/**
 * The environment for nix-instantiate on the deployer: evaluate-only settings, and every piece of
 * Nix state (store database, configuration, logs, home) in `stateDir`, a throw-away folder, so /nix
 * and the machine's own Nix setup are never read or written.
 */
export function evaluateOnlyNixEnv(stateDir: string, pathVariable = process.env['PATH']): NodeJS.ProcessEnv {
  return {
    PATH: pathVariable ?? '/usr/bin:/bin',
    HOME: stateDir,
    NIX_STATE_DIR: path.join(stateDir, 'state'),
    NIX_CONF_DIR: path.join(stateDir, 'conf'),
    NIX_LOG_DIR: path.join(stateDir, 'log'),
    NIX_REMOTE: '',
    NIX_CONFIG: EVALUATE_ONLY_NIX_CONFIG,
  };
}

/** What Nix printed on stderr, told apart: `warning:` lines, and the error (with its source excerpt). */
export interface NixDiagnostics {
  warnings: string[];
  /** The `error: …` block without its prefix, or undefined when Nix printed none. */
  error: string | undefined;
}

/**
 * Splits nix-instantiate's stderr into warnings and the error. Nix prints each warning as one
 * `warning: …` line; everything else is the error (`error: …` with its position and source
 * excerpt). Colour codes and blank lines are dropped.
 */
export function parseNixDiagnostics(stderr: string): NixDiagnostics {
  const warnings: string[] = [];
  const errorLines: string[] = [];
  // eslint-disable-next-line no-control-regex
  for (const raw of stderr.replace(/\u001b\[[0-9;]*m/g, '').split('\n')) {
    const line = raw.trimEnd();
    if (line.trim() === '') continue;
    if (line.startsWith('warning: ')) warnings.push(line.slice('warning: '.length));
    else errorLines.push(line.startsWith('error: ') ? line.slice('error: '.length) : line);
  }
  return { warnings, error: errorLines.length > 0 ? errorLines.join('\n') : undefined };
}
