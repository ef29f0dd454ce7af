import { choosePorts } from './component-state';
import { freePorts, isPortFree } from './free-port';
import { chooseInfraMode, parseInfraMode } from './infra-mode';
import { buildSpawnCommand } from './managed-process';
import { createServer } from 'node:net';

describe('buildSpawnCommand', () => {
  it('wraps the command in setpriv so it dies with us', () => {
    expect(buildSpawnCommand('nats-server', ['-js'], { setprivPath: '/usr/bin/setpriv' })).toEqual({
      command: '/usr/bin/setpriv',
      args: ['--pdeathsig', 'KILL', '--', 'nats-server', '-js'],
    });
  });

  it('switches user through setpriv when asked', () => {
    const { args } = buildSpawnCommand('/bin/postgres', ['-D', 'x'], {
      runAs: 'postgres',
      setprivPath: '/usr/bin/setpriv',
    });
    expect(args).toEqual([
      '--pdeathsig',
      'KILL',
      '--reuid',
      'postgres',
      '--regid',
      'postgres',
      '--init-groups',
      '--',
      '/bin/postgres',
      '-D',
      'x',
    ]);
  });

  it('falls back to runuser, then to the bare command, without setpriv', () => {
    expect(buildSpawnCommand('p', ['a'], { runAs: 'postgres', setprivPath: null })).toEqual({
      command: 'runuser',
      args: ['-u', 'postgres', '--', 'p', 'a'],
    });
    expect(buildSpawnCommand('p', ['a'], { setprivPath: null })).toEqual({ command: 'p', args: ['a'] });
  });
});

describe('infra mode', () => {
  const noDocker = { dockerAvailable: () => Promise.resolve(false) };
  const docker = { dockerAvailable: () => Promise.resolve(true) };

  it('parses FEDOPS_INFRA', () => {
    expect(parseInfraMode(undefined)).toBe('auto');
    expect(parseInfraMode(' Native ')).toBe('native');
    expect(parseInfraMode('containers')).toBe('containers');
    expect(() => parseInfraMode('docker')).toThrow(/FEDOPS_INFRA must be one of/);
  });

  it('honours an explicit mode', async () => {
    expect(await chooseInfraMode('containers', { missingNativeBinaries: [], ...noDocker })).toBe(
      'containers',
    );
    expect(await chooseInfraMode('native', { missingNativeBinaries: ['x'], ...docker })).toBe('native');
  });

  it('auto prefers native binaries, then docker', async () => {
    expect(await chooseInfraMode('auto', { missingNativeBinaries: [], ...docker })).toBe('native');
    expect(await chooseInfraMode('auto', { missingNativeBinaries: ['temporal'], ...docker })).toBe(
      'containers',
    );
    expect(await chooseInfraMode('auto', { missingNativeBinaries: ['temporal'], ...noDocker })).toBe(
      'native',
    );
  });
});

describe('ports', () => {
  it('hands out distinct free ports', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    for (const port of ports) expect(await isPortFree(port)).toBe(true);
  });

  it('sees a port in use', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      expect(await isPortFree(port)).toBe(false);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('prefers requested ports, then saved free ones (persistent only), then fresh ones', async () => {
    const [saved = 0, requested = 0] = await freePorts(2);
    const persistent = await choosePorts(['a', 'b', 'c'], { a: requested }, { bPort: saved }, true);
    expect(persistent.a).toBe(requested);
    expect(persistent.b).toBe(saved);
    expect(new Set(Object.values(persistent)).size).toBe(3);

    const ephemeral = await choosePorts(['a', 'b'], {}, { bPort: saved }, false);
    expect(new Set(Object.values(ephemeral)).size).toBe(2);
  });
});
