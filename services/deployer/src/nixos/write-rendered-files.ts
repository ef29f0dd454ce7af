import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RenderedFile } from './flake-renderer';

/** Writes rendered files under `dir`, which is emptied first so it holds exactly these files. */
export async function writeRenderedFiles(dir: string, files: readonly RenderedFile[]): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const f of files) {
    if (f.path.startsWith('/') || f.path.split('/').includes('..'))
      throw new Error(`Unsafe file path ${f.path}`);
    const target = path.join(dir, f.path);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, f.content, { mode: 0o644 });
  }
}
