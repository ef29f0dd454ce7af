import { readLauncherConfig } from './launcher-config';

describe('readLauncherConfig', () => {
  it('defaults to .fedops in the repository, the fixed local ports and sandbox prefix "fo"', () => {
    expect(readLauncherConfig({}, '/repo')).toEqual({
      dataDir: '/repo/.fedops',
      ports: 'fixed',
      sandboxPrefix: 'fo',
      sandboxSubnet: undefined,
      simulatorBootDelayMs: 3000,
    });
  });

  it('takes free ports, another data dir, prefix and subnet (a launcher under test)', () => {
    expect(
      readLauncherConfig(
        {
          FEDOPS_DATA_DIR: '/tmp/x',
          FEDOPS_PORTS: 'free',
          FEDOPS_SANDBOX_PREFIX: 'fsup',
          FEDOPS_SANDBOX_SUBNET: '10.219.0.0/16',
          FEDOPS_SIMULATOR_BOOT_DELAY_MS: '200',
        },
        '/repo',
      ),
    ).toEqual({
      dataDir: '/tmp/x',
      ports: 'free',
      sandboxPrefix: 'fsup',
      sandboxSubnet: '10.219.0.0/16',
      simulatorBootDelayMs: 200,
    });
  });

  it('lists every bad variable at once', () => {
    expect(() =>
      readLauncherConfig(
        { FEDOPS_PORTS: 'random', FEDOPS_SANDBOX_PREFIX: 'Fo-1', FEDOPS_SANDBOX_SUBNET: '10.0.0.0/8' },
        '/repo',
      ),
    ).toThrow(
      'Invalid launcher configuration:\n' +
        '  FEDOPS_PORTS must be "fixed" or "free", got "random"\n' +
        '  FEDOPS_SANDBOX_PREFIX must be 2-6 lower-case letters or digits, got "Fo-1"\n' +
        '  FEDOPS_SANDBOX_SUBNET must be an IPv4 /16 like 10.213.0.0/16, got "10.0.0.0/8"',
    );
  });
});
