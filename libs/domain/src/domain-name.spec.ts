import { normaliseDomain, validateDomain } from './domain-name';

describe('validateDomain', () => {
  it.each(['example.org', 'Example.ORG.', 'social.my-host.example.co.uk', 'xn--bcher-kva.example'])(
    'accepts %s',
    (d) => {
      expect(validateDomain(d)).toEqual([]);
    },
  );

  it.each([
    ['', 'must not be empty'],
    ['localhost', 'must have at least two labels, like example.org'],
    ['not a domain', 'label "not a domain" is not a valid DNS label'],
    ['-bad.example', 'label "-bad" is not a valid DNS label'],
    ['example.123', 'top-level label must not be numeric'],
    [`${'a'.repeat(64)}.org`, 'is not a valid DNS label'],
  ])('rejects %j', (d, message) => {
    expect(validateDomain(d)).toEqual([{ field: 'domain', message: expect.stringContaining(message) }]);
  });

  it('normalises case and the trailing dot', () => {
    expect(normaliseDomain(' Example.ORG. ')).toBe('example.org');
  });
});
