import {
  normalizePublicKey,
  renderAuthorizedKeys,
  validatePrivateKeyBlock,
  validatePublicKeyLine,
} from './ssh-keys';

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

/** An openssh-key-v1 block with made-up key bytes: the structure the validator reads, no real key. */
function privateKeyBlock(
  options: { cipher?: string; keys?: number; type?: string; cut?: number } = {},
): string {
  const str = (value: Buffer | string): Buffer => {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  };
  const count = Buffer.alloc(4);
  count.writeUInt32BE(options.keys ?? 1);
  const publicKey = str(Buffer.concat([str(options.type ?? 'ssh-ed25519'), str(Buffer.alloc(32, 7))]));
  let data = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    str(options.cipher ?? 'none'),
    str(options.cipher === undefined ? 'none' : 'bcrypt'),
    str(''),
    count,
    publicKey,
    str(Buffer.alloc(64, 9)),
  ]);
  if (options.cut !== undefined) data = data.subarray(0, options.cut);
  const lines = data.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

describe('private key blocks', () => {
  it('accepts an unencrypted ed25519 OpenSSH key block', () => {
    expect(validatePrivateKeyBlock(privateKeyBlock())).toBeUndefined();
  });

  it.each([
    ['not a key', 'secret-looking text', /OpenSSH private key block/],
    [
      'a PEM RSA key',
      '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n',
      /OpenSSH private key block/,
    ],
    ['two blocks', `${privateKeyBlock()}${privateKeyBlock()}`, /OpenSSH private key block/],
    [
      'a block without the magic',
      '-----BEGIN OPENSSH PRIVATE KEY-----\nQUJD\n-----END OPENSSH PRIVATE KEY-----',
      /openssh-key-v1/,
    ],
    ['an encrypted key', privateKeyBlock({ cipher: 'aes256-ctr' }), /passphrase/],
    ['two keys', privateKeyBlock({ keys: 2 }), /exactly one key/],
    ['an RSA key', privateKeyBlock({ type: 'ssh-rsa' }), /ed25519/],
    ['a truncated key', privateKeyBlock({ cut: 30 }), /truncated/],
  ])('rejects %s without echoing it', (_what, text, problem) => {
    const found = validatePrivateKeyBlock(text);
    expect(found).toMatch(problem);
    expect(found).not.toContain(text.trim().split('\n')[1] ?? text);
  });
});
