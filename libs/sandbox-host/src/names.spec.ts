import { hostName, isHostName, shortHash, validateLabel, validatePrefix, vethNames } from './names';

describe('names from labels', () => {
  it('derives a stable namespace name that fits an interface name', () => {
    const name = hostName('fotest', '/var/lib/fedops/sandbox', 'tenant-42');
    expect(name).toBe(hostName('fotest', '/var/lib/fedops/sandbox', 'tenant-42'));
    expect(name).toMatch(/^fotest-[0-9a-f]{8}$/);
    expect(name.length).toBeLessThanOrEqual(15);
    expect(isHostName('fotest', name)).toBe(true);
    expect(vethNames(name)).toEqual({ hostSide: name, namespaceSide: 'eth0' });
  });

  it('gives different names to different labels, state dirs and attempts', () => {
    const names = new Set([
      hostName('fo', '/a', 'tenant-1'),
      hostName('fo', '/a', 'tenant-2'),
      hostName('fo', '/b', 'tenant-1'),
      hostName('fo', '/a', 'tenant-1', 1),
      hostName('fo', '/a', 'tenant-1', 2),
    ]);
    expect(names.size).toBe(5);
  });

  it('does not mistake another prefix for its own', () => {
    expect(isHostName('fo', 'fot-0123abcd')).toBe(false);
    expect(isHostName('fot', 'fot-0123abcd')).toBe(true);
    expect(isHostName('fo', 'fo-0123abcd9')).toBe(false);
  });

  it('hashes to 8 hex digits', () => {
    expect(shortHash('x')).toMatch(/^[0-9a-f]{8}$/);
  });

  it.each(['fo', 'fot', 'a1b2c3'])('accepts prefix %s', (prefix) => {
    expect(validatePrefix(prefix)).toBeUndefined();
  });

  it.each(['', 'Fo', '1fo', 'fo-t', 'toolong'])('rejects prefix "%s"', (prefix) => {
    expect(validatePrefix(prefix)).toMatch(/lowercase/);
  });

  it('validates labels', () => {
    expect(validateLabel('7f0c1d2e-aaaa-bbbb-cccc-000000000001')).toBeUndefined();
    expect(validateLabel('')).toMatch(/empty/);
    expect(validateLabel('a b')).toMatch(/whitespace/);
    expect(validateLabel('x'.repeat(201))).toMatch(/200/);
  });
});
