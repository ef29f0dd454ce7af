import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateAppSelections } from '@fedops/catalog';
import { MANIFEST_FILE, MANIFEST_SCHEMA, renderedOptionNames, type AppsManifest } from './flake-renderer';

/** A rendered configuration that Nix cannot parse or that does not match the catalog. */
export class FlakeValidationError extends Error {
  override readonly name = 'FlakeValidationError';
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
  }
}

export interface ValidateFlakeOptions {
  /** The nix-instantiate binary; default from PATH. */
  nixInstantiate?: string;
  /** Per-file parse timeout; default 20 s. */
  timeoutMs?: number;
}

/**
 * Checks a rendered flake directory: every `.nix` file parses (`nix-instantiate --parse`, offline,
 * with a throw-away Nix state dir so /nix is not touched), and `fedops-apps.json` names catalog apps
 * whose options exist in the catalog schema, have the right types, and each have a module file that
 * `flake.nix` imports. Throws FlakeValidationError listing every problem.
 */
export async function validateFlake(dir: string, options: ValidateFlakeOptions = {}): Promise<void> {
  const problems: string[] = [];
  const nixFiles = (await listFiles(dir)).filter((f) => f.endsWith('.nix')).sort();
  if (!nixFiles.includes('flake.nix')) problems.push('flake.nix: missing');

  const stateDir = await mkdtemp(path.join(tmpdir(), 'fedops-nix-state-'));
  try {
    for (const file of nixFiles) {
      const error = await parseNix(path.join(dir, file), stateDir, options);
      if (error !== undefined) problems.push(`${file}: ${error}`);
    }
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }

  problems.push(...(await checkManifest(dir, nixFiles)));
  if (problems.length > 0) {
    throw new FlakeValidationError(
      `Rendered NixOS configuration is invalid: ${problems.join('; ')}`,
      problems,
    );
  }
}

function parseNix(
  file: string,
  stateDir: string,
  options: ValidateFlakeOptions,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      options.nixInstantiate ?? 'nix-instantiate',
      ['--parse', file],
      {
        timeout: options.timeoutMs ?? 20_000,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: stateDir,
          NIX_STATE_DIR: path.join(stateDir, 'state'),
          NIX_CONF_DIR: path.join(stateDir, 'conf'),
          NIX_LOG_DIR: path.join(stateDir, 'log'),
          NIX_REMOTE: '',
        },
      },
      (error, _stdout, stderr) => {
        if (error === null) return resolve(undefined);
        const text = stderr.trim().length > 0 ? tidyNixMessage(stderr) : error.message;
        resolve(text);
      },
    );
  });
}

/** Nix's message without colour codes and blank lines, e.g. "syntax error, unexpected ';' at line 3:7". */
function tidyNixMessage(stderr: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = stderr.replace(/\u001b\[[0-9;]*m/g, '');
  const lines = plain
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim().length > 0);
  return lines.join('\n').replace(/^error: /, '');
}

async function checkManifest(dir: string, nixFiles: string[]): Promise<string[]> {
  let manifest: AppsManifest;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as AppsManifest;
  } catch (err: unknown) {
    return [`${MANIFEST_FILE}: unreadable (${err instanceof Error ? err.message : String(err)})`];
  }
  if (manifest.schema !== MANIFEST_SCHEMA || !Array.isArray(manifest.apps)) {
    return [`${MANIFEST_FILE}: not a ${MANIFEST_SCHEMA} manifest`];
  }
  const problems = validateAppSelections(
    manifest.apps.map((a) => ({ app: a.app, options: a.options })),
    MANIFEST_FILE + ':apps',
  ).map((e) => `${e.field}: ${e.message}`);
  let flake = '';
  try {
    flake = await readFile(path.join(dir, 'flake.nix'), 'utf8');
  } catch {
    // reported above as missing
  }
  for (const a of manifest.apps) {
    const rendered = new Set(renderedOptionNames(a.app));
    for (const name of Object.keys(a.options ?? {})) {
      if (!rendered.has(name))
        problems.push(`${MANIFEST_FILE}: option ${a.app}.${name} is not rendered into any NixOS setting`);
    }
    const moduleFile = `apps/${a.app}.nix`;
    if (!nixFiles.includes(moduleFile)) problems.push(`${moduleFile}: missing`);
    else if (!flake.includes(`./${moduleFile}`)) problems.push(`flake.nix: does not import ./${moduleFile}`);
  }
  return problems;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}
