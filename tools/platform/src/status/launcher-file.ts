import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `<dataDir>/launcher.json`: where a running launcher can be reached (written at start, removed at stop). */
export interface LauncherFile {
  readonly pid: number;
  readonly statusUrl: string;
  /** The main URL of each component that has one (services, issuer, Temporal UI). */
  readonly urls: Readonly<Record<string, string>>;
}

export function launcherFilePath(dataDir: string): string {
  return join(dataDir, 'launcher.json');
}

export async function writeLauncherFile(dataDir: string, file: LauncherFile): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await writeFile(launcherFilePath(dataDir), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}

export async function readLauncherFile(dataDir: string): Promise<LauncherFile | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(launcherFilePath(dataDir), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { pid, statusUrl, urls } = parsed as Record<string, unknown>;
    if (typeof pid !== 'number' || typeof statusUrl !== 'string') return undefined;
    return {
      pid,
      statusUrl,
      urls: typeof urls === 'object' && urls !== null ? (urls as Record<string, string>) : {},
    };
  } catch {
    return undefined;
  }
}

export async function removeLauncherFile(dataDir: string): Promise<void> {
  await rm(launcherFilePath(dataDir), { force: true });
}
