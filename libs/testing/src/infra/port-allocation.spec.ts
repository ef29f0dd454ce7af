import {
  PortInUseError,
  RequestedPortInUseError,
  findBindFailure,
  holderFromSs,
  planPortRetry,
  portInUseIn,
  startOnPorts,
} from './port-allocation';

// Real lines each server writes when its port is taken (captured on the development machine).
const OUTPUT = {
  postgres: [
    '2026-12-01 08:49:25.975 UTC [9873] LOG:  starting PostgreSQL 15.18 (Debian 15.18-0+deb12u1)',
    '2026-12-01 08:49:25.975 UTC [9873] LOG:  could not bind IPv4 address "127.0.0.1": Address already in use',
    '2026-12-01 08:49:25.975 UTC [9873] HINT:  Is another postmaster already running on port 41999? If not, wait a few seconds and retry.',
    '2026-12-01 08:49:25.975 UTC [9873] FATAL:  could not create any TCP/IP sockets',
  ].join('\n'),
  natsMonitor:
    "[8942] 2026/12/01 08:49:08.397457 [FTL] Can't start monitoring: can't listen to the monitor port: listen tcp 127.0.0.1:41999: bind: address already in use",
  temporalUi:
    'time=2026-12-01T08:51:27.414 level=ERROR msg="can\'t set UI port 42999: listen tcp 127.0.0.1:42999: bind: address already in use"',
  pdnsDns: "Dec 01 08:49:19 Unable to bind UDP socket to '127.0.0.1:41998': Address already in use",
  pdnsWebserver:
    'Dec 01 08:49:11 [webserver] Listening on HTTP socket failed: While binding: Address already in use',
  node: '{"level":"error","msg":"listen EADDRINUSE: address already in use 127.0.0.1:8080","time":"2026-12-01T09:00:00.000Z"}',
};

describe('findBindFailure', () => {
  it("finds postgres' failure and the port named on its HINT line", () => {
    expect(findBindFailure(OUTPUT.postgres, [41999])).toEqual({
      evidence: expect.stringContaining(
        'could not bind IPv4 address "127.0.0.1": Address already in use',
      ) as string,
      port: 41999,
    });
  });

  it.each([
    ['nats (monitor port)', OUTPUT.natsMonitor, [41222, 41999], 41999],
    ['temporal (UI port)', OUTPUT.temporalUi, [42001, 42999, 42002], 42999],
    ['powerdns (DNS port)', OUTPUT.pdnsDns, [41997, 41998], 41998],
    ['a Node service', OUTPUT.node, [8080], 8080],
  ])('names the port for %s', (_server, output, ports, port) => {
    expect(findBindFailure(output, ports)?.port).toBe(port);
  });

  it('reports no port when the server names none (PowerDNS webserver)', () => {
    expect(findBindFailure(OUTPUT.pdnsWebserver, [41997, 41998])).toEqual({
      evidence: expect.stringContaining('While binding: Address already in use') as string,
      port: undefined,
    });
  });

  it('ignores numbers that are not ports of this component (timestamps, pids)', () => {
    expect(findBindFailure(OUTPUT.natsMonitor, [8942, 8])?.port).toBeUndefined();
  });

  it('finds nothing in a healthy start', () => {
    expect(
      findBindFailure('[INF] Listening for client connections on 127.0.0.1:4222', [4222]),
    ).toBeUndefined();
  });

  it('shortens a long line around the failure', () => {
    const long = `${'x'.repeat(500)} listen EADDRINUSE: address already in use 127.0.0.1:8080 ${'y'.repeat(500)}`;
    const failure = findBindFailure(long, [8080]);
    expect(failure?.evidence.length).toBeLessThan(210);
    expect(failure?.evidence).toContain('EADDRINUSE');
    expect(failure?.port).toBe(8080);
  });
});

describe('portInUseIn', () => {
  it('finds a PortInUseError in the cause chain', () => {
    const inner = new PortInUseError('nats', 4222, 'bind: address already in use');
    expect(portInUseIn(new Error('outer', { cause: new Error('middle', { cause: inner }) }), 'nats')).toBe(
      inner,
    );
  });

  it('turns a Node EADDRINUSE error into one, keeping its port', () => {
    const error = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:9090'), {
      code: 'EADDRINUSE',
      port: 9090,
    });
    expect(portInUseIn(error, 'oidc-issuer')).toMatchObject({ component: 'oidc-issuer', port: 9090 });
  });

  it('is undefined for any other failure', () => {
    expect(portInUseIn(new Error('initdb failed'), 'postgres')).toBeUndefined();
  });
});

describe('planPortRetry', () => {
  const ports = { grpc: 1001, ui: 1002, http: 1003 };

  it('moves only the port that was taken, to a fresh one not used by the component', () => {
    expect(planPortRetry(ports, new Set(), ['ui'], [1001, 2000, 2001])).toEqual({
      kind: 'retry',
      ports: { grpc: 1001, ui: 2000, http: 1003 },
      moved: [{ name: 'ui', from: 1002, to: 2000 }],
    });
  });

  it('moves every port it chose itself when it cannot tell which was taken', () => {
    expect(planPortRetry(ports, new Set(['grpc'] as const), [], [2000, 2001])).toEqual({
      kind: 'retry',
      ports: { grpc: 1001, ui: 2000, http: 2001 },
      moved: [
        { name: 'ui', from: 1002, to: 2000 },
        { name: 'http', from: 1003, to: 2001 },
      ],
    });
  });

  it('never moves a requested port: it fails naming it', () => {
    expect(planPortRetry(ports, new Set(['grpc'] as const), ['grpc'], [2000])).toEqual({
      kind: 'requested-port-taken',
      name: 'grpc',
      port: 1001,
    });
  });

  it('fails when every port was requested and it cannot tell which was taken', () => {
    expect(planPortRetry({ a: 1 }, new Set(['a'] as const), [], [2000])).toEqual({
      kind: 'requested-port-taken',
      name: undefined,
      port: undefined,
    });
  });
});

describe('holderFromSs', () => {
  it('names the process and pid that listens', () => {
    const line =
      'tcp   LISTEN 0      4096       127.0.0.1:14222      0.0.0.0:*    users:(("nats-server",pid=812,fd=7))';
    expect(holderFromSs(line)).toBe('nats-server (pid 812)');
  });

  it('is undefined when ss printed nothing useful', () => {
    expect(holderFromSs('')).toBeUndefined();
  });
});

describe('startOnPorts', () => {
  /** A picker handing out the given ports in order. */
  const picker =
    (...queue: number[]) =>
    (count: number) =>
      Promise.resolve(queue.splice(0, count));
  const taken = (port: number): PortInUseError =>
    new PortInUseError('svc', port, `listen EADDRINUSE: address already in use 127.0.0.1:${port}`);

  it('starts again on a fresh port when the chosen one was taken, and says why', async () => {
    const tried: number[] = [];
    const notices: string[] = [];
    const result = await startOnPorts({
      component: 'svc',
      names: ['http'],
      requested: {},
      pickPorts: picker(41234, 40001, 41777, 40002),
      notify: (line) => notices.push(line),
      start: ({ http }) => {
        tried.push(http);
        return http === 41234 ? Promise.reject(taken(http)) : Promise.resolve(`up on ${http}`);
      },
    });
    expect(tried).toEqual([41234, 41777]);
    expect(result).toEqual({ value: 'up on 41777', ports: { http: 41777 } });
    expect(notices).toEqual([
      '[fedops] svc: port 41234 was taken (listen EADDRINUSE: address already in use 127.0.0.1:41234); retrying on 41777',
    ]);
  });

  it('does not change a requested port: it fails naming it', async () => {
    const start = jest.fn(() => Promise.reject(taken(1)));
    const error: unknown = await startOnPorts({
      component: 'svc',
      names: ['http'],
      requested: { http: 1 },
      start,
      notify: () => undefined,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestedPortInUseError);
    expect((error as Error).message).toMatch(
      /svc cannot start: requested port 1 is already in use.*asked for explicitly/,
    );
    expect(start).toHaveBeenCalledTimes(1);
  });

  it('gives up after maxAttempts when every fresh port is taken too', async () => {
    let next = 50000;
    const start = jest.fn(({ http }: { http: number }) => Promise.reject(taken(http)));
    await expect(
      startOnPorts({
        component: 'svc',
        names: ['http'],
        requested: {},
        pickPorts: (count) => Promise.resolve(Array.from({ length: count }, () => (next += 1))),
        maxAttempts: 3,
        notify: () => undefined,
        start,
      }),
    ).rejects.toThrow(/svc: its ports were taken 3 times in a row; giving up/);
    expect(start).toHaveBeenCalledTimes(3);
  });

  it('passes any other failure through at once', async () => {
    const start = jest.fn(() => Promise.reject(new Error('initdb failed')));
    await expect(
      startOnPorts({ component: 'svc', names: ['http'], requested: {}, pickPorts: picker(1, 2), start }),
    ).rejects.toThrow('initdb failed');
    expect(start).toHaveBeenCalledTimes(1);
  });
});
