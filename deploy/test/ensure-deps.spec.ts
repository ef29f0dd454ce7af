/**
 * The native path (`npm start`, `npm test`) installs what it runs with scripts/ensure-deps.sh. A
 * program that a developer machine happens to have but that script does not install passes on that
 * machine and fails on a new one; these checks name such a program on any machine.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { HOST_PROGRAMS, SERVICE_PROGRAMS } from './required-programs';

const repoRoot = join(__dirname, '..', '..');
const NATIVE_PROGRAMS = [...SERVICE_PROGRAMS, ...HOST_PROGRAMS];

function ensureDepsPackages(): Set<string> {
  const out = execFileSync('bash', [join(repoRoot, 'scripts', 'ensure-deps.sh'), '--list-packages'], {
    encoding: 'utf8',
  });
  // One line a package: `<package> <file that proves it installed>`.
  return new Set(out.split('\n').flatMap((line) => (line === '' ? [] : [line.split(' ')[0] ?? ''])));
}

/** Debian's Essential packages are on every Debian system and cannot be removed by accident. */
function isEssential(pkg: string): boolean {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Essential}', pkg], { encoding: 'utf8' }).trim() === 'yes';
  } catch {
    return false; // not installed here: certainly not Essential
  }
}

function found(program: string): boolean {
  const candidates = isAbsolute(program)
    ? [program]
    : [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/local/go/bin']
        .filter(Boolean)
        .map((dir) => join(dir, program));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  });
}

describe('scripts/ensure-deps.sh', () => {
  it('installs the Debian package of every program the native platform runs, unless it is Essential', () => {
    const packages = ensureDepsPackages();
    const problems = NATIVE_PROGRAMS.flatMap(({ program, pkg, usedBy }) =>
      pkg === undefined || packages.has(pkg) || isEssential(pkg)
        ? []
        : [`${program} (used by ${usedBy}) comes from ${pkg}, which ensure-deps.sh does not install`],
    );
    expect(problems).toEqual([]);
  });

  it('has left every program the native platform runs on this machine', () => {
    // npm test runs ensure-deps.sh first; the Temporal CLI lives in $(go env GOPATH)/bin.
    const goBin = join(
      execFileSync('/usr/local/go/bin/go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(),
      'bin',
    );
    const missing = NATIVE_PROGRAMS.filter(
      ({ program }) => !found(program) && !(program === 'temporal' && found(join(goBin, 'temporal'))),
    ).map(({ program, usedBy }) => `${program} (used by ${usedBy})`);
    expect(missing).toEqual([]);
  });
});
