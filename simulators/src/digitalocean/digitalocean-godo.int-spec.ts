import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@fedops/sandbox-host';
import { conformanceBinary } from '../common/go-conformance.test';
import type { RunningSimulator } from '../common/simulator';
import { startDigitalOceanSimulator } from './digitalocean-simulator';

/**
 * simulators/conformance/godo: a Go program driving the simulator with godo, DigitalOcean's own
 * client. See conformanceBinary for the build and its cache.
 */
describe('the DigitalOcean simulator with godo, the vendor’s official Go client', () => {
  let dir: string;
  let sim: RunningSimulator;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fedops-do-godo-'));
    sim = await startDigitalOceanSimulator({
      stateDir: join(dir, 'state'),
      namePrefix: 'dogo',
      bootDelayMs: 200,
    });
  });

  afterAll(async () => {
    await sim?.close({ destroyMachines: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates a droplet, waits for its action, lists it by tag, powers, resizes and deletes it', async () => {
    const binary = await conformanceBinary('godo');
    if (binary.builtMs !== undefined)
      console.info(`built the godo conformance program in ${binary.builtMs} ms`);
    const result = await run(
      'env',
      [
        `DO_SIM_URL=${sim.url.replace(/\/v2$/, '')}`,
        `DO_TOKEN=${sim.credentials['token'] ?? ''}`,
        binary.path,
      ],
      { timeoutMs: 180_000, allowFailure: true },
    );
    expect({ exitCode: result.exitCode, stderr: result.stderr.trim() }).toEqual({ exitCode: 0, stderr: '' });
    expect(result.stdout).toContain('godo conformance: all checks passed');
    expect(sim.vms()).toEqual([]);
  }, 600_000);
});
