import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RenderedFile } from './flake-renderer';

/** Where the golden renders live: one folder per case, the rendered files as they are. */
export const GOLDEN_DIR = path.join(__dirname, 'golden');

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    return e.isDirectory() ? listFiles(dir, rel) : [rel];
  });
}

/**
 * Test helper: compares rendered files with the golden folder of `name` (same paths, same bytes).
 * With FEDOPS_UPDATE_GOLDEN=1 it rewrites the folder instead: review the diff, then commit it.
 */
export function expectGolden(name: string, files: readonly RenderedFile[]): void {
  const dir = path.join(GOLDEN_DIR, name);
  if (process.env['FEDOPS_UPDATE_GOLDEN'] === '1') {
    rmSync(dir, { recursive: true, force: true });
    for (const f of files) {
      mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
      writeFileSync(path.join(dir, f.path), f.content);
    }
    return;
  }
  let golden: string[];
  try {
    golden = listFiles(dir).sort();
  } catch {
    throw new Error(`No golden render ${dir}; run the test with FEDOPS_UPDATE_GOLDEN=1 and review the files`);
  }
  expect(files.map((f) => f.path).sort()).toEqual(golden);
  for (const f of files)
    expect({ path: f.path, content: f.content }).toEqual({
      path: f.path,
      content: readFileSync(path.join(dir, f.path), 'utf8'),
    });
}
