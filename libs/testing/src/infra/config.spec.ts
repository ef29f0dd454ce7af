import { natsServerArgs } from './nats.config';
import { assertIdentifier, initdbArgs, postgresServerArgs, postgresUrl } from './postgres.config';
import { pdnsConfigEntries, renderPdnsConfig } from './powerdns.config';
import { newS3Credentials, versitygwArgs, versitygwBinaryCandidates } from './s3.config';
import { temporalBinaryCandidates, temporalDevServerArgs } from './temporal.config';

const layout = { pgData: '/d/pgdata', socketDir: '/d/run' };

describe('postgres arguments', () => {
  it('listens on loopback only, on the given port and socket dir', () => {
    const args = postgresServerArgs(layout, 5544, false);
    expect(args.slice(0, 6)).toEqual(['-D', '/d/pgdata', '-p', '5544', '-k', '/d/run']);
    expect(args).toContain('listen_addresses=127.0.0.1');
  });

  it('turns fsync off only when ephemeral', () => {
    expect(postgresServerArgs(layout, 1, true)).toEqual(expect.arrayContaining(['-c', 'fsync=off']));
    expect(postgresServerArgs(layout, 1, false).join(' ')).not.toMatch(/fsync=off/);
    expect(initdbArgs(layout, true)).toContain('--no-sync');
    expect(initdbArgs(layout, false)).not.toContain('--no-sync');
  });

  it('uses password auth over TCP', () => {
    expect(initdbArgs(layout, false)).toContain('--auth-host=scram-sha-256');
  });

  it('accepts plain identifiers and refuses anything that could inject SQL', () => {
    expect(assertIdentifier('fedops_test1', 'role')).toBe('fedops_test1');
    expect(() => assertIdentifier('x; DROP DATABASE y', 'database')).toThrow(/Invalid database name/);
    expect(() => assertIdentifier('Upper', 'role')).toThrow();
    expect(() => assertIdentifier('a'.repeat(64), 'role')).toThrow();
  });

  it('encodes credentials in the URL', () => {
    expect(
      postgresUrl({ host: '127.0.0.1', port: 5432, user: 'u', password: 'p@ss/w:rd', database: 'db' }),
    ).toBe('postgres://u:p%40ss%2Fw%3Ard@127.0.0.1:5432/db');
  });
});

describe('nats arguments', () => {
  it('loads the users from the config file, enables JetStream with a store dir and monitoring, bound to loopback', () => {
    expect(
      natsServerArgs({ port: 4222, monitorPort: 8222, storeDir: '/d/js', configFile: '/d/auth.conf' }),
    ).toEqual([
      '-c',
      '/d/auth.conf',
      '-js',
      '-a',
      '127.0.0.1',
      '-p',
      '4222',
      '-sd',
      '/d/js',
      '-m',
      '8222',
      '-n',
      'fedops-nats',
    ]);
  });
});

describe('temporal arguments', () => {
  const ports = { port: 7233, httpPort: 7243, metricsPort: 7253 };

  it('is headless and in memory by default', () => {
    const args = temporalDevServerArgs(ports);
    expect(args.slice(0, 6)).toEqual(['server', 'start-dev', '--ip', '127.0.0.1', '--port', '7233']);
    expect(args).toContain('--headless');
    expect(args).not.toContain('--ui-port');
    expect(args).not.toContain('--db-filename');
    expect(args.join(' ')).toMatch(/--http-port 7243 --metrics-port 7253/);
    expect(args.join(' ')).toMatch(/--log-level warn/);
  });

  it('serves the UI and persists to a file when asked', () => {
    const args = temporalDevServerArgs({
      ...ports,
      uiPort: 8233,
      dbFile: '/d/t.db',
      namespaces: ['fedops'],
    }).join(' ');
    expect(args).toMatch(/--ui-port 8233/);
    expect(args).not.toMatch(/--headless/);
    expect(args).toMatch(/--db-filename \/d\/t\.db/);
    expect(args).toMatch(/--namespace fedops/);
  });

  it('looks for the binary in FEDOPS_TEMPORAL_BIN, then GOPATH, then /root/go', () => {
    expect(temporalBinaryCandidates({ FEDOPS_TEMPORAL_BIN: '/opt/temporal' }, '/home/x/go')).toEqual([
      '/opt/temporal',
      '/home/x/go/bin/temporal',
      '/root/go/bin/temporal',
    ]);
    expect(temporalBinaryCandidates({}, undefined)).toEqual(['/root/go/bin/temporal']);
    expect(temporalBinaryCandidates({}, '/root/go')).toEqual(['/root/go/bin/temporal']);
  });
});

describe('powerdns config', () => {
  const input = {
    databaseFile: '/d/pdns.sqlite3',
    apiKey: 'k3y',
    webserverPort: 18081,
    dnsPort: 15353,
    socketDir: '/d/run',
  };

  it('renders one key=value per line with the API, sqlite backend and loopback ports', () => {
    const text = renderPdnsConfig(input);
    const lines = text.split('\n').filter((line) => line && !line.startsWith('#'));
    const config = Object.fromEntries(lines.map((line) => line.split(/=(.*)/s).slice(0, 2)));
    expect(config).toMatchObject({
      launch: 'gsqlite3',
      'gsqlite3-database': '/d/pdns.sqlite3',
      api: 'yes',
      'api-key': 'k3y',
      webserver: 'yes',
      'webserver-address': '127.0.0.1',
      'webserver-port': '18081',
      'webserver-allow-from': '127.0.0.0/8',
      'local-address': '127.0.0.1',
      'local-port': '15353',
      'socket-dir': '/d/run',
      guardian: 'no',
      daemon: 'no',
      'disable-syslog': 'yes',
    });
    expect(text.endsWith('\n')).toBe(true);
  });

  it('has no duplicate keys', () => {
    const keys = pdnsConfigEntries(input).map(([key]) => key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('refuses values that would inject extra settings', () => {
    expect(() => renderPdnsConfig({ ...input, apiKey: 'x\nlaunch=bind' })).toThrow(/single line/);
  });
});

describe('s3 (versitygw)', () => {
  it('listens on loopback with the region, a health path, no request log, on the posix backend', () => {
    expect(versitygwArgs({ port: 7070, rootDir: '/d/buckets', region: 'us-east-1' })).toEqual([
      '--port',
      '127.0.0.1:7070',
      '--region',
      'us-east-1',
      '--health',
      '/health',
      '--quiet',
      'posix',
      '/d/buckets',
    ]);
  });

  it('looks for the binary in FEDOPS_VERSITYGW_BIN, then GOPATH, then /root/go, then PATH', () => {
    expect(
      versitygwBinaryCandidates(
        { FEDOPS_VERSITYGW_BIN: '/opt/vgw', PATH: '/usr/local/bin:/usr/bin' },
        '/home/x/go',
      ),
    ).toEqual([
      '/opt/vgw',
      '/home/x/go/bin/versitygw',
      '/root/go/bin/versitygw',
      '/usr/local/bin/versitygw',
      '/usr/bin/versitygw',
    ]);
    expect(versitygwBinaryCandidates({}, '/root/go')).toEqual(['/root/go/bin/versitygw']);
  });

  it('makes fresh root keys of the usual shape', () => {
    const a = newS3Credentials();
    expect(a.accessKeyId).toMatch(/^[A-Z0-9]{20}$/);
    expect(a.secretAccessKey).toMatch(/^[0-9a-f]{40}$/);
    expect(newS3Credentials().secretAccessKey).not.toBe(a.secretAccessKey);
  });
});
