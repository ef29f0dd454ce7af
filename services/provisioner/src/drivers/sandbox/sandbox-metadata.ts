import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { MachineSizing } from '../resource-provider.driver';

/**
 * What the sandbox driver records about a machine beyond what the sandbox host itself knows: what a
 * cloud keeps as the server's name, labels and type. One small JSON file per host, `machine.json` in
 * the host's folder (`<stateDir>/hosts/<name>/`, next to its root folder), so it goes when the host
 * is destroyed and no database is involved.
 */
export interface SandboxMachineMetadata {
  version: 1;
  name: string;
  labels: Record<string, string>;
  sizing: MachineSizing;
  size?: string;
}

export const METADATA_FILE = 'machine.json';

/** The metadata file of the host whose root folder is `rootDir` (host-layout: `<hostDir>/root`). */
export function metadataPath(rootDir: string): string {
  return join(dirname(rootDir), METADATA_FILE);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Parses a metadata file's text; throws naming every bad field (a hand-edited or damaged file). */
export function parseMetadata(text: string): SandboxMachineMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error('Sandbox machine metadata is not valid JSON', { cause: err });
  }
  if (!isRecord(raw)) throw new Error('Sandbox machine metadata must be a JSON object');
  const problems: string[] = [];
  const { version, name, labels, sizing, size } = raw;
  if (version !== 1) problems.push(`version: expected 1, got ${JSON.stringify(version)}`);
  if (typeof name !== 'string' || name.length === 0) problems.push('name: must be a non-empty string');
  const parsedLabels: Record<string, string> = {};
  if (!isRecord(labels)) problems.push('labels: must be an object');
  else {
    for (const [key, value] of Object.entries(labels)) {
      if (typeof value === 'string') parsedLabels[key] = value;
      else problems.push(`labels.${key}: must be a string`);
    }
  }
  let parsedSizing: MachineSizing | undefined;
  if (!isRecord(sizing)) problems.push('sizing: must be an object');
  else {
    const { vcpus, memoryMiB, diskGiB } = sizing;
    for (const [field, value] of Object.entries({ vcpus, memoryMiB, diskGiB })) {
      if (!isCount(value)) problems.push(`sizing.${field}: must be a whole number ≥ 0`);
    }
    if (isCount(vcpus) && isCount(memoryMiB) && isCount(diskGiB))
      parsedSizing = { vcpus, memoryMiB, diskGiB };
  }
  if (size !== undefined && typeof size !== 'string') problems.push('size: must be a string');
  if (problems.length > 0 || typeof name !== 'string' || !parsedSizing) {
    throw new Error(`Sandbox machine metadata is invalid: ${problems.join('; ')}`);
  }
  return {
    version: 1,
    name,
    labels: parsedLabels,
    sizing: parsedSizing,
    ...(typeof size === 'string' ? { size } : {}),
  };
}

export function serializeMetadata(metadata: SandboxMachineMetadata): string {
  return `${JSON.stringify(metadata, null, 2)}\n`;
}

/** Whether a machine carries every one of `wanted` (an empty selector matches every machine). */
export function matchesLabels(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => labels[key] === value);
}

/** Reads a host's metadata; undefined when it has none (made before the driver recorded any). */
export async function readMetadata(rootDir: string): Promise<SandboxMachineMetadata | undefined> {
  const path = metadataPath(rootDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT') return undefined;
    throw new Error(`Cannot read ${path}`, { cause: err });
  }
  try {
    return parseMetadata(text);
  } catch (err) {
    throw new Error(`Cannot use ${path}`, { cause: err });
  }
}

/** Writes a temporary file and renames it over the old one: readers see the old or the new, never half. */
export async function writeMetadata(rootDir: string, metadata: SandboxMachineMetadata): Promise<void> {
  const path = metadataPath(rootDir);
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, serializeMetadata(metadata), { mode: 0o600 });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new Error(`Cannot write ${path}`, { cause: err });
  }
}
