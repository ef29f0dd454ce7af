import { EXIT_CODE_DESCRIPTIONS, ExitCode, exitCodeForStatus } from './exit-codes';
import {
  ApiError,
  CliError,
  InterruptedError,
  NetworkError,
  UsageError,
  exitCodeOf,
  networkReason,
} from './errors';
import { renderHelp } from './help';
import { commandTree } from './commands';

describe('exit codes', () => {
  it.each([
    [200, ExitCode.Ok],
    [400, ExitCode.Failed],
    [401, ExitCode.Auth],
    [403, ExitCode.Auth],
    [404, ExitCode.NotFound],
    [409, ExitCode.Conflict],
    [412, ExitCode.Conflict],
    [413, ExitCode.Failed],
    [422, ExitCode.Conflict],
    [428, ExitCode.Failed],
    [429, ExitCode.Failed],
    [500, ExitCode.Unavailable],
    [502, ExitCode.Unavailable],
    [503, ExitCode.Unavailable],
  ])('HTTP %i ends the command with %i', (status, code) => {
    expect(exitCodeForStatus(status)).toBe(code);
  });

  it('follow from each kind of failure', () => {
    expect(exitCodeOf(new UsageError('bad flag'))).toBe(2);
    expect(exitCodeOf(new ApiError(404, '{"title":"Not found"}', 'GET', '/v1/tenants/x'))).toBe(4);
    expect(exitCodeOf(new ApiError(401, '', 'GET', '/v1/tenants'))).toBe(3);
    expect(exitCodeOf(new NetworkError('http://127.0.0.1:1', new TypeError('fetch failed')))).toBe(6);
    expect(exitCodeOf(new CliError('operation failed', ExitCode.Failed))).toBe(1);
    expect(exitCodeOf(new InterruptedError())).toBe(130);
    expect(exitCodeOf(new Error('a bug'))).toBe(1);
  });

  it('are listed, each once, in `fedops --help`', () => {
    const help = renderHelp([], commandTree());
    expect(new Set(EXIT_CODE_DESCRIPTIONS.map(([c]) => c)).size).toBe(EXIT_CODE_DESCRIPTIONS.length);
    for (const [code, text] of EXIT_CODE_DESCRIPTIONS) expect(help).toContain(`  ${code}  ${text}`);
  });
});

describe('API errors', () => {
  it('read as the problem, or as the status when the body is none', () => {
    expect(
      new ApiError(
        409,
        '{"title":"Conflict","detail":"Domain taken","code":"CONFLICT"}',
        'POST',
        '/v1/tenants',
      ).message,
    ).toBe('Conflict: Domain taken (409 CONFLICT)');
    expect(new ApiError(502, '<html>', 'GET', '/v1/tenants').message).toBe(
      'Bad gateway (502) from GET /v1/tenants',
    );
  });

  it('say "not available on this server" for a route the server does not have', () => {
    const err = new ApiError(
      404,
      '{"title":"Not found","detail":"Cannot GET /v1/providers"}',
      'GET',
      '/v1/providers?limit=5',
    );
    expect(err.missingRoute).toBe(true);
    expect(err.message).toBe(
      'not available on this server: it has no GET /v1/providers (its tenant-api predates this command)',
    );
    expect(err.exitCode).toBe(ExitCode.NotFound);
  });

  it('name the socket error behind a failed fetch', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), { code: 'ECONNREFUSED' });
    expect(networkReason(new TypeError('fetch failed', { cause }))).toBe(
      'connect ECONNREFUSED 127.0.0.1:8080',
    );
    expect(new NetworkError('http://127.0.0.1:8080', new TypeError('fetch failed', { cause })).message).toBe(
      'cannot reach http://127.0.0.1:8080: connect ECONNREFUSED 127.0.0.1:8080',
    );
  });
});
