import { execFile } from 'node:child_process';
import path from 'node:path';

interface ParsedArgs {
  root?: string;
  listenAddress?: string;
  action?: string;
  flakeDir?: string;
  flakeHost?: string;
  rollback: boolean;
  json: boolean;
}
// The stand-in is plain JavaScript shipped to machines; its exports exist for this test.
const standin = require('./fedops-standin-activate.js') as { parseArgs(argv: string[]): ParsedArgs };
const SCRIPT = path.join(__dirname, 'fedops-standin-activate.js');

function run(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, ...args], (error, _stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stderr });
    });
  });
}

describe('fedops-standin-activate.js arguments', () => {
  it('parses switch --flake like nixos-rebuild', () => {
    expect(
      standin.parseArgs([
        '--root',
        '/m',
        '--listen-address',
        '10.213.0.2',
        'switch',
        '--flake',
        '/m/etc/x#host-1',
      ]),
    ).toMatchObject({
      root: '/m',
      listenAddress: '10.213.0.2',
      action: 'switch',
      flakeDir: '/m/etc/x',
      flakeHost: 'host-1',
      rollback: false,
    });
  });

  it('accepts the rollback in either position', () => {
    expect(standin.parseArgs(['switch', '--rollback', '--root', '/m'])).toMatchObject({
      action: 'switch',
      rollback: true,
    });
    expect(standin.parseArgs(['--root', '/m', '--rollback'])).toMatchObject({
      action: 'switch',
      rollback: true,
    });
  });

  it('parses list-generations --json', () => {
    expect(standin.parseArgs(['--root', '/m', 'list-generations', '--json'])).toMatchObject({
      action: 'list-generations',
      json: true,
    });
  });

  it.each([
    [['switch', '--flake', '/x#h'], /--root <fsRoot> is required/],
    [['--root', 'relative', 'stop'], /absolute path/],
    [['--root', '/m'], /no action given/],
    [['--root', '/m', 'switch'], /exactly one of --flake/],
    [['--root', '/m', 'switch', '--flake', '/x#h', '--rollback'], /exactly one of --flake/],
    [['--root', '/m', 'switch', '--flake', '/x'], /<dir>#<host>/],
    [['--root', '/m', 'switch', '--flake', '/x#'], /<dir>#<host>/],
    [['--root', '/m', 'switch', 'stop'], /two actions/],
    [['--root', '/m', 'boot'], /unknown argument "boot"/],
    [['--root'], /--root needs a value/],
    [['--root', '/m', 'list-generations', '--rollback'], /takes no --flake or --rollback/],
    [['--root', '/m', 'serve-app'], /needs --app and --generation-dir/],
  ])('rejects %j', (argv, message) => {
    expect(() => standin.parseArgs(argv)).toThrow(message);
  });

  it('exits 2 with the usage on bad arguments', async () => {
    const { code, stderr } = await run(['--root', '/m', 'dance']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown argument "dance"');
    expect(stderr).toContain('usage:');
  });
});
