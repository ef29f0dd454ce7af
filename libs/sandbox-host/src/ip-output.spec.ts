import { parseIpAddrJson, parseNetnsList, parsePids } from './ip-output';

describe('ip output parsers', () => {
  it('reads namespace names with and without ids', () => {
    expect(parseNetnsList('fot-0123abcd (id: 3)\nfo-89abcdef\n\n')).toEqual(['fot-0123abcd', 'fo-89abcdef']);
    expect(parseNetnsList('')).toEqual([]);
  });

  it('reads pids', () => {
    expect(parsePids('123\n456\n')).toEqual([123, 456]);
    expect(parsePids('')).toEqual([]);
  });

  it('reads IPv4 addresses per interface', () => {
    const json = JSON.stringify([
      { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
      {
        ifname: 'fot-0123abcd',
        addr_info: [
          { family: 'inet', local: '10.213.0.1', prefixlen: 30 },
          { family: 'inet6', local: 'fe80::1', prefixlen: 64 },
        ],
      },
      { ifname: 'down0', addr_info: [] },
    ]);
    expect(parseIpAddrJson(json)).toEqual([
      { ifname: 'lo', local: '127.0.0.1', prefixLength: 8 },
      { ifname: 'fot-0123abcd', local: '10.213.0.1', prefixLength: 30 },
    ]);
    expect(parseIpAddrJson('')).toEqual([]);
  });
});
