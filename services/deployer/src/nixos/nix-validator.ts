import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validateAppSelections } from '@fedops/catalog';
import { MANIFEST_FILE, MANIFEST_SCHEMA, renderedOptionNames, type AppsManifest } from './flake-renderer';
import { evaluateOnlyNixEnv, parseNixDiagnostics } from './nix-environment';

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

/** A configuration that passed: what Nix warned about on the way (`<file>: <warning>`), for the log. */
export interface FlakeValidation {
  warnings: string[];
}

/**
 * Checks a rendered flake directory: every `.nix` file parses (`nix-instantiate --parse`, offline,
 * evaluate-only settings and a throw-away Nix state dir so /nix is not touched), and
 * `fedops-apps.json` names catalog apps whose options exist in the catalog schema, have the right
 * types, and each have a module file that `flake.nix` imports. Throws FlakeValidationError listing
 * every problem; Nix's warnings are never taken for a problem.
 */
export async function validateFlake(
  dir: string,
  options: ValidateFlakeOptions = {},
): Promise<FlakeValidation> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const nixFiles = (await listFiles(dir)).filter((f) => f.endsWith('.nix')).sort();
  if (!nixFiles.includes('flake.nix')) problems.push('flake.nix: missing');

  const stateDir = await mkdtemp(path.join(tmpdir(), 'fedops-nix-state-'));
  try {
    for (const file of nixFiles) {
      const parsed = await parseNix(path.join(dir, file), stateDir, options);
      warnings.push(...parsed.warnings.map((w) => `${file}: ${w}`));
      if (parsed.error !== undefined) problems.push(`${file}: ${parsed.error}`);
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
  return { warnings };
}

/** Parses one file; `error` is set when nix-instantiate failed (Nix's error, or how the call failed). */
function parseNix(
  file: string,
  stateDir: string,
  options: ValidateFlakeOptions,
): Promise<{ warnings: string[]; error: string | undefined }> {
  return new Promise((resolve) => {
    execFile(
      options.nixInstantiate ?? 'nix-instantiate',
      ['--parse', file],
      {
        timeout: options.timeoutMs ?? 20_000,
        maxBuffer: 16 * 1024 * 1024,
        env: evaluateOnlyNixEnv(stateDir),
      },
      (error, _stdout, stderr) => {
        const diagnostics = parseNixDiagnostics(stderr);
        if (error === null) return resolve({ warnings: diagnostics.warnings, error: undefined });
        resolve({ warnings: diagnostics.warnings, error: diagnostics.error ?? error.message });
      },
    );
  });
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
