import { normalizePublicKey, renderAuthorizedKeys, validatePublicKeyLine } from './ssh-keys';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyDataForTestsOnly0000000000000000000';

describe('public key lines', () => {
  it('accepts a key with or without a comment and strips the comment', () => {
    expect(validatePublicKeyLine(`${KEY} root@host`)).toBeUndefined();
    expect(normalizePublicKey(`  ${KEY} root@host\n`)).toBe(KEY);
  });

  it.each([
    ['', /unknown key type/],
    ['ssh-foo AAAA', /unknown key type/],
    ['ssh-ed25519 not*base64', /base64/],
    [`${KEY}\n${KEY}`, /single line/],
  ])('rejects %j', (line, problem) => {
    expect(validatePublicKeyLine(line)).toMatch(problem);
  });

  it('renders one key per line', () => {
    expect(renderAuthorizedKeys([`${KEY} a`, ` ${KEY} b `])).toBe(`${KEY} a\n${KEY} b\n`);
  });
});
