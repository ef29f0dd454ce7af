import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { zoneApex } from '../zone-apex';
import { parseRRsets, PowerDnsDriver, zoneId } from './powerdns.driver';

const apex = zoneApex({
  nameservers: ['ns1.example.net.'],
  hostmaster: 'hostmaster.example.net.',
  negativeTtl: 300,
});

describe('zoneId', () => {
  it('is the absolute lower-case name with unusual characters escaped as =XX', () => {
    expect(zoneId('Example.org')).toBe('example.org.');
    expect(zoneId('0/25.2.0.192.in-addr.arpa.')).toBe('0=2F25.2.0.192.in-addr.arpa.');
  });
});

describe('parseRRsets', () => {
  const fail = (detail: string): Error => new Error(detail);

  it('returns enabled record contents per RRset', () => {
    const body = {
      name: 'example.org.',
      rrsets: [
        {
          name: 'Social.example.org.',
          type: 'A',
          ttl: 300,
          records: [
            { content: '192.0.2.1', disabled: false },
            { content: '192.0.2.2', disabled: true },
          ],
          comments: [],
        },
      ],
    };
    expect(parseRRsets(body, fail)).toEqual([
      { name: 'social.example.org.', type: 'A', ttl: 300, records: ['192.0.2.1'] },
    ]);
  });

  it.each([
    [null, 'zone is not an object'],
    [{ rrsets: null }, 'zone.rrsets is not an array'],
    [{ rrsets: [{ name: 'a.', type: 'A', ttl: '300', records: [] }] }, 'rrsets[0].ttl is not an integer'],
    [{ rrsets: [{ name: 'a.', type: 'A', ttl: 300, records: [{}] }] }, 'rrsets[0].records[0] lacks content'],
  ])('rejects a bad shape %j', (body, message) => {
    expect(() => parseRRsets(body, fail)).toThrow(message);
  });
});

describe('PowerDnsDriver options', () => {
  it('accepts a base URL with or without /api/v1 and rejects other schemes', () => {
    expect(
      () => new PowerDnsDriver({ apiUrl: 'http://127.0.0.1:8081/api/v1/', apiKey: 'k', apex }),
    ).not.toThrow();
    expect(() => new PowerDnsDriver({ apiUrl: 'ftp://127.0.0.1', apiKey: 'k', apex })).toThrow(/http/);
    expect(() => new PowerDnsDriver({ apiUrl: 'http://127.0.0.1', apiKey: '', apex })).toThrow(/key/);
  });

  it('refuses to create zones without name servers', () => {
    expect(
      () =>
        new PowerDnsDriver({ apiUrl: 'http://127.0.0.1', apiKey: 'k', apex: { ...apex, nameservers: [] } }),
    ).toThrow(/nameservers/);
  });
});

describe('PowerDnsDriver transport (loopback stub server: retry and timeout policy only)', () => {
  let server: Server;
  let baseUrl: string;
  let replies: Array<(res: ServerResponse) => void>;
  let requests: Array<{
    method: string;
    url: string;
    apiKey: string | undefined;
    accept: string | undefined;
  }>;

  beforeEach(async () => {
    replies = [];
    requests = [];
    server = createServer((req, res) => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        apiKey: req.headers['x-api-key'] as string | undefined,
        accept: req.headers.accept,
      });
      const reply = replies.shift();
      if (reply !== undefined) reply(res); // no reply left: hang, so the client times out
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const json = (status: number, body: unknown) => (res: ServerResponse) => {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  const driver = (attempts: number, timeoutMs = 2000): PowerDnsDriver =>
    new PowerDnsDriver({
      apiUrl: baseUrl,
      apiKey: 'secret',
      apex,
      timeoutMs,
      retry: { attempts, baseDelayMs: 1, maxDelayMs: 5 },
    });

  it('retries 5xx and succeeds, sending the key and Accept: application/json', async () => {
    replies.push(
      json(503, { error: 'backend down' }),
      json(500, { error: 'still down' }),
      json(201, { name: 'example.org.' }),
    );
    await expect(driver(3).ensureZone('example.org')).resolves.toEqual({ created: true });
    expect(requests).toHaveLength(3);
    expect(requests[0]).toEqual({
      method: 'POST',
      url: '/api/v1/servers/localhost/zones',
      apiKey: 'secret',
      accept: 'application/json',
    });
  });

  it('gives up after the bounded attempts with the last 5xx', async () => {
    replies.push(
      json(500, { error: 'one' }),
      json(502, { error: 'two' }),
      json(201, { name: 'example.org.' }),
    );
    await expect(driver(2).ensureZone('example.org')).rejects.toMatchObject({
      status: 502,
      providerMessage: 'two',
      retryable: true,
    });
    expect(requests).toHaveLength(2);
  });

  it('never retries a 4xx', async () => {
    replies.push(json(422, { error: 'RRset x IN TYPE: unknown type given' }), json(204, {}));
    await expect(
      driver(3).replaceRRsets('example.org.', [{ action: 'delete', name: 'x.example.org.', type: 'TYPE' }]),
    ).rejects.toMatchObject({
      status: 422,
      providerMessage: 'RRset x IN TYPE: unknown type given',
      retryable: false,
    });
    expect(requests).toHaveLength(1);
  });

  it('times out each attempt and reports it as retryable', async () => {
    await expect(driver(2, 100).listRRsets('example.org')).rejects.toMatchObject({
      retryable: true,
      message: expect.stringContaining('no response within 100 ms (attempt 2/2)') as string,
    });
    expect(requests).toHaveLength(2);
  });

  it('rejects a 2xx with a body of the wrong shape', async () => {
    replies.push(json(200, { rrsets: 'nope' }));
    await expect(driver(1).listRRsets('example.org')).rejects.toThrow(
      /unexpected response shape: zone.rrsets is not an array/,
    );
  });
});
