import { buildSshdCommand } from './sshd-args';

const invocation = {
  namespace: 'fot-0123abcd',
  listenAddress: '10.213.0.2',
  hostKeyFile: '/s/hosts/fot-0123abcd/ssh_host_ed25519_key',
  authorizedKeysFile: '/s/hosts/fot-0123abcd/authorized_keys',
  pidFile: '/s/hosts/fot-0123abcd/sshd.pid',
  logFile: '/s/hosts/fot-0123abcd/sshd.log',
  rootDir: '/s/hosts/fot-0123abcd/root',
};

/** The value of each `-o Key=value` pair. */
function options(args: string[]): Map<string, string> {
  const result = new Map<string, string>();
  args.forEach((arg, i) => {
    const value = args[i + 1];
    if (arg === '-o' && value !== undefined) {
      const eq = value.indexOf('=');
      result.set(value.slice(0, eq), value.slice(eq + 1));
    }
  });
  return result;
}

describe('buildSshdCommand', () => {
  it('runs the absolute sshd path inside the namespace, ignoring the host config', () => {
    const { command, args } = buildSshdCommand(invocation);
    expect(command).toBe('ip');
    expect(args.slice(0, 6)).toEqual(['netns', 'exec', 'fot-0123abcd', '/usr/sbin/sshd', '-f', '/dev/null']);
    expect(args[args.indexOf('-h') + 1]).toBe(invocation.hostKeyFile);
    expect(args[args.indexOf('-E') + 1]).toBe(invocation.logFile);
    expect(args).not.toContain('-D');
  });

  it('pins address, key files and a locked-down login policy', () => {
    const opts = options(buildSshdCommand(invocation).args);
    expect(opts.get('ListenAddress')).toBe('10.213.0.2');
    expect(opts.get('Port')).toBe('22');
    expect(opts.get('AuthorizedKeysFile')).toBe(invocation.authorizedKeysFile);
    expect(opts.get('PidFile')).toBe(invocation.pidFile);
    expect(opts.get('PermitRootLogin')).toBe('prohibit-password');
    expect(opts.get('PasswordAuthentication')).toBe('no');
    expect(opts.get('StrictModes')).toBe('no');
    expect(opts.get('UsePAM')).toBe('no');
    expect(opts.get('Subsystem')).toBe('sftp internal-sftp');
    expect(opts.get('SetEnv')).toBe(`FEDOPS_SANDBOX_ROOT=${invocation.rootDir}`);
  });

  it('refuses values that sshd would split', () => {
    expect(() => buildSshdCommand({ ...invocation, pidFile: '/tmp/a b/sshd.pid' })).toThrow(/pidFile/);
  });
});
