import { generateSecret, secretFileContent } from './secret-generator';

describe('generateSecret', () => {
  it('makes hex of twice the bytes, base64 of the bytes, and passwords of that many unambiguous characters', () => {
    expect(generateSecret({ kind: 'hex', bytes: 32 })).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(generateSecret({ kind: 'base64', bytes: 32 }), 'base64')).toHaveLength(32);
    expect(generateSecret({ kind: 'password', bytes: 24 })).toMatch(/^[A-HJ-NP-Za-km-z2-9]{24}$/);
  });

  it('gives a different value each call', () => {
    const values = new Set(Array.from({ length: 50 }, () => generateSecret({ kind: 'password', bytes: 24 })));
    expect(values.size).toBe(50);
  });
});

describe('secretFileContent', () => {
  it('writes the bare value, or one environment line with the prefix', () => {
    expect(secretFileContent({}, 's3cret')).toBe('s3cret');
    expect(secretFileContent({ file: { env: 'APP_KEY', valuePrefix: 'base64:' } }, 'QUJD')).toBe(
      'APP_KEY=base64:QUJD\n',
    );
    expect(secretFileContent({ file: { env: 'PT_INITIAL_ROOT_PASSWORD' } }, 'pw')).toBe(
      'PT_INITIAL_ROOT_PASSWORD=pw\n',
    );
  });
});
