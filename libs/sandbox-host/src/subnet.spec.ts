import {
  allocateBlock,
  blockAt,
  blockCount,
  blockOfAddress,
  ipv4ToNumber,
  numberToIpv4,
  parseSubnet,
  rangeOfInterfaceAddress,
} from './subnet';

describe('subnet arithmetic', () => {
  it('round-trips addresses', () => {
    expect(numberToIpv4(ipv4ToNumber('10.213.255.254'))).toBe('10.213.255.254');
    expect(ipv4ToNumber('0.0.0.1')).toBe(1);
    expect(numberToIpv4(0xffffffff)).toBe('255.255.255.255');
  });

  it.each(['10.213.0', '10.213.0.256', '10.213.00.1', 'a.b.c.d', '1.2.3.4.5'])(
    'rejects address %s',
    (text) => {
      expect(() => ipv4ToNumber(text)).toThrow(/Not an IPv4 address/);
    },
  );

  it('parses a subnet and counts its /30 blocks', () => {
    const subnet = parseSubnet('10.213.0.0/16');
    expect(blockCount(subnet)).toBe(16384);
    expect(blockCount(parseSubnet('10.213.4.0/30'))).toBe(1);
  });

  it.each([
    ['10.213.0.1/16', /not aligned/],
    ['10.213.0.0/31', /smaller than one \/30/],
    ['10.0.0.0/7', /larger than a \/8/],
    ['10.213.0.0', /CIDR/],
  ])('rejects subnet %s', (cidr, message) => {
    expect(() => parseSubnet(cidr)).toThrow(message);
  });

  it('lays out a block: .1 for the host end, .2 for the namespace end', () => {
    const subnet = parseSubnet('10.213.0.0/16');
    expect(blockAt(subnet, 0)).toEqual({
      index: 0,
      network: '10.213.0.0',
      hostAddress: '10.213.0.1',
      address: '10.213.0.2',
      prefixLength: 30,
    });
    expect(blockAt(subnet, 64).address).toBe('10.213.1.2');
    expect(blockAt(subnet, 16383).hostAddress).toBe('10.213.255.253');
    expect(() => blockAt(subnet, 16384)).toThrow(/outside/);
  });

  it('finds the block of a namespace address and refuses other addresses', () => {
    const subnet = parseSubnet('10.213.0.0/16');
    expect(blockOfAddress(subnet, '10.213.1.6').index).toBe(65);
    expect(() => blockOfAddress(subnet, '10.213.1.5')).toThrow(/namespace end/);
    expect(() => blockOfAddress(subnet, '10.214.0.2')).toThrow(/outside/);
  });

  it('allocates the lowest block not recorded and not overlapping host addresses', () => {
    const subnet = parseSubnet('10.213.0.0/16');
    expect(allocateBlock(subnet, new Set())?.index).toBe(0);
    expect(allocateBlock(subnet, new Set([0, 1, 3]))?.index).toBe(2);
    // Another state dir configured 10.213.0.9/30 (block 2) on the host, and a /29 covers blocks 4-5.
    const taken = [rangeOfInterfaceAddress('10.213.0.9', 30), rangeOfInterfaceAddress('10.213.0.17', 29)];
    expect(allocateBlock(subnet, new Set([0, 1, 3]), taken)?.index).toBe(6);
    // Unrelated host addresses do not matter.
    expect(allocateBlock(subnet, new Set(), [rangeOfInterfaceAddress('127.0.0.1', 8)])?.index).toBe(0);
  });

  it('reports a full subnet', () => {
    const subnet = parseSubnet('10.213.0.0/29');
    expect(allocateBlock(subnet, new Set([0, 1]))).toBeUndefined();
  });
});
