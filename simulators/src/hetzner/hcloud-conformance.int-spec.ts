import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@fedops/sandbox-host';
import { conformanceBinary } from '../common/go-conformance.test';
import type { RunningSimulator } from '../common/simulator';
import { startHetznerSimulator } from './hetzner-simulator';

/**
 * Hetzner's official Go client (hcloud-go, pinned in simulators/conformance/hcloud/go.mod) against
 * the simulator, unchanged but for the endpoint: catalogue, paging and rate-limit meta, SSH keys,
 * a server created, waited on, listed by label, powered off, retyped, powered on, relabelled and
 * deleted, and the typed errors (unauthorized, uniqueness_error). The program exits non-zero at the
 * first mismatch. See conformanceBinary for the build and its cache.
 */
describe('hcloud-go against the Hetzner simulator', () => {
  let dir: string;
  let sim: RunningSimulator;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fedops-hcloud-conformance-'));
    sim = await startHetznerSimulator({
      stateDir: join(dir, 'state'),
      namePrefix: 'hzg',
      bootDelayMs: 200,
      actionDelayMs: 100,
    });
  });

  afterAll(async () => {
    await sim?.close({ destroyMachines: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('creates, waits on, lists, resizes and deletes a server with no mismatch', async () => {
    const binary = await conformanceBinary('hcloud');
    if (binary.builtMs !== undefined)
      console.info(`built the hcloud conformance program in ${binary.builtMs} ms`);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hcloud', '-f', join(dir, 'key')]);
    const publicKey = (await readFile(join(dir, 'key.pub'), 'utf8')).trim();
    const result = await run(
      'env',
      [
        `HCLOUD_ENDPOINT=${sim.url}`,
        `HCLOUD_TOKEN=${sim.credentials['token'] ?? ''}`,
        `SSH_PUBLIC_KEY=${publicKey}`,
        binary.path,
      ],
      { timeoutMs: 120_000, allowFailure: true },
    );
    expect({ exitCode: result.exitCode, stderr: result.stderr.trim() }).toEqual({ exitCode: 0, stderr: '' });
    expect(result.stdout.trim()).toBe('conformance: OK');
    expect(sim.vms()).toEqual([]);
  }, 600_000);
});
