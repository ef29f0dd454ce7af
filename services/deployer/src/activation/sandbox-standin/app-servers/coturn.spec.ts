import { renderFlake } from '../../../nixos/flake-renderer';

interface Launch {
  files: Array<{ path: string; content: string; mode: number }>;
  dirs: string[];
  command: string[];
  inputs: string[];
  readiness: {
    kind: string;
    udp: Array<{ host: string; port: number }>;
    tcp: Array<{ host: string; port: number }>;
  };
}
// Plain JavaScript shipped to machines; its pure recipe is exported for the stand-in and this test.
const coturn = require('./coturn.js') as {
  coturnLaunch(o: Record<string, string>): Launch;
};

const options = {
  binary: '/usr/bin/turnserver',
  realm: 'turn.example.org',
  staticAuthSecret: 'a'.repeat(64),
  listenAddress: '10.1.2.3',
  configFile: '/m/etc/fedops/coturn/turnserver.conf',
  cert: '/m/etc/fedops/front/tls/cert.pem',
  key: '/m/etc/fedops/front/tls/key.pem',
  logFile: '/m/var/log/fedops/coturn.log',
  pidFile: '/m/run/fedops/coturn/turnserver.pid',
  userDb: '/m/var/lib/fedops/coturn/turndb',
};
const configLines = (launch: Launch): string[] => (launch.files[0]?.content ?? '').split('\n');

/** services.coturn of the NixOS module fedops renders for Matrix: `key = value;` lines of the block. */
function nixosCoturn(): Map<string, string> {
  const rendered = renderFlake({
    tenantId: 'tenant-1',
    domain: 'example.org',
    hostname: 'fedops-tenant-1',
    apps: [{ app: 'matrix', options: {} }],
    machineKind: 'hetzner',
  });
  const mod = rendered.files.find((f) => f.path === 'apps/matrix.nix')?.content ?? '';
  const block = /\n {4}coturn = \{\n([\s\S]*?)\n {4}\};/.exec(mod)?.[1] ?? '';
  const settings = new Map<string, string>();
  for (const m of block.matchAll(/^ {6}([A-Za-z-]+) = (.*);$/gm)) settings.set(m[1] ?? '', m[2] ?? '');
  return settings;
}

describe('coturnLaunch (the sandbox stand-in coturn recipe)', () => {
  it('renders every setting of the NixOS services.coturn fedops renders for Matrix, the secret inline', () => {
    const nixos = nixosCoturn();
    const lines = configLines(coturn.coturnLaunch(options));
    expect(nixos.get('realm')).toBe('"turn.example.org"');
    for (const key of [
      'listening-port',
      'alt-listening-port',
      'tls-listening-port',
      'alt-tls-listening-port',
      'min-port',
      'max-port',
    ])
      expect(lines).toContain(`${key}=${nixos.get(key)}`);
    expect(lines).toContain('realm=turn.example.org');
    expect(nixos.get('use-auth-secret')).toBe('true');
    expect(nixos.get('no-cli')).toBe('true');
    expect(lines).toEqual(
      expect.arrayContaining(['use-auth-secret', 'no-cli', `static-auth-secret=${'a'.repeat(64)}`]),
    );
    const extra = JSON.parse(nixos.get('extraConfig') ?? '""') as string;
    const extraLines = extra.split('\n').filter((l) => l !== '');
    expect(extraLines).toContain('denied-peer-ip=127.0.0.0-127.255.255.255');
    expect(lines).toEqual(expect.arrayContaining(extraLines));
  });

  it('listens and relays on the machine address only, with the given certificate, log and pid file', () => {
    const launch = coturn.coturnLaunch(options);
    expect(configLines(launch)).toEqual(
      expect.arrayContaining([
        'listening-ip=10.1.2.3',
        'relay-ip=10.1.2.3',
        `cert=${options.cert}`,
        `pkey=${options.key}`,
        `log-file=${options.logFile}`,
        'simple-log',
        `pidfile=${options.pidFile}`,
        `userdb=${options.userDb}`,
      ]),
    );
    expect(launch.files[0]).toMatchObject({ path: options.configFile, mode: 0o600 });
    expect(launch.command).toEqual(['/usr/bin/turnserver', '-c', options.configFile, '--no-stdout-log']);
    expect(launch.dirs).toEqual(['/m/run/fedops/coturn', '/m/var/lib/fedops/coturn']);
    expect(launch.inputs).toEqual([options.cert, options.key]);
    expect(launch.readiness.udp.map((t) => `${t.host}:${t.port}`)).toEqual(['10.1.2.3:3478']);
    expect(launch.readiness.tcp.map((t) => `${t.host}:${t.port}`)).toEqual([
      '10.1.2.3:3478',
      '10.1.2.3:5349',
    ]);
  });

  it('binds every address for a wildcard listen address', () => {
    const lines = configLines(coturn.coturnLaunch({ ...options, listenAddress: '0.0.0.0' }));
    expect(lines.filter((l) => /^(listening|relay)-ip=/.test(l))).toEqual([]);
  });

  it('refuses values that would break or extend turnserver.conf', () => {
    expect(() => coturn.coturnLaunch({ ...options, staticAuthSecret: 'x\nno-auth' })).toThrow(
      /staticAuthSecret must not contain/,
    );
    expect(() => coturn.coturnLaunch({ ...options, realm: 'turn example' })).toThrow(/realm/);
    expect(() => coturn.coturnLaunch({ ...options, listenAddress: 'machine.local' })).toThrow(
      /must be an IP address/,
    );
    expect(() => coturn.coturnLaunch({ ...options, logFile: 'coturn.log' })).toThrow(
      /logFile must be absolute/,
    );
  });
});
