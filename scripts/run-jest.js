// Runs jest and ends with one plain summary line ("N passed, N failed, N skipped"), which CI reads.
// The exit code is jest's own: non-zero when any test failed or no test ran.
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const dir = mkdtempSync(join(tmpdir(), 'fedops-jest-'));
const results = join(dir, 'results.json');
const args = ['--runInBand', '--json', `--outputFile=${results}`, ...process.argv.slice(2)];
const run = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), ...args], { stdio: 'inherit' });
let code = run.status ?? 1;
try {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  if (r.numTotalTests === 0) {
    console.error('jest ran no test');
    code = 1;
  }
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
} catch (err) {
  console.error(`could not read jest results: ${err.message}`);
  code = code || 1;
}
rmSync(dir, { recursive: true, force: true });
process.exit(code);
