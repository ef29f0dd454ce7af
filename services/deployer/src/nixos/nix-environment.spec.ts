import { EVALUATE_ONLY_NIX_CONFIG, evaluateOnlyNixEnv, parseNixDiagnostics } from './nix-environment';

describe('parseNixDiagnostics', () => {
  it('tells a warning printed before a syntax error from the error', () => {
    // What nix-instantiate 2.8 prints as root on Debian without a nixbld group.
    const stderr = [
      "warning: the group 'nixbld' specified in 'build-users-group' does not exist",
      "\u001b[31;1merror:\u001b[0m syntax error, unexpected ';'",
      '',
      '       at /tmp/x/bad.nix:1:7:',
      '',
      '            1| { a = ; }',
      '             |       ^',
      '',
    ].join('\n');
    const { warnings, error } = parseNixDiagnostics(stderr);
    expect(warnings).toEqual(["the group 'nixbld' specified in 'build-users-group' does not exist"]);
    expect(error).toBe(
      [
        "syntax error, unexpected ';'",
        '       at /tmp/x/bad.nix:1:7:',
        '            1| { a = ; }',
        '             |       ^',
      ].join('\n'),
    );
  });

  it('has no error when nix printed only warnings', () => {
    expect(parseNixDiagnostics('warning: one\nwarning: two\n')).toEqual({
      warnings: ['one', 'two'],
      error: undefined,
    });
  });

  it('keeps unprefixed output as the error', () => {
    expect(parseNixDiagnostics('nix-instantiate: cannot open store\n').error).toBe(
      'nix-instantiate: cannot open store',
    );
  });
});

describe('evaluateOnlyNixEnv', () => {
  it('keeps every piece of Nix state in the given folder and needs no build users', () => {
    const env = evaluateOnlyNixEnv('/tmp/state-1', '/usr/bin');
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/tmp/state-1',
      NIX_STATE_DIR: '/tmp/state-1/state',
      NIX_CONF_DIR: '/tmp/state-1/conf',
      NIX_LOG_DIR: '/tmp/state-1/log',
      NIX_REMOTE: '',
      NIX_CONFIG: EVALUATE_ONLY_NIX_CONFIG,
    });
    expect(EVALUATE_ONLY_NIX_CONFIG.split('\n')).toContain('build-users-group =');
  });
});
