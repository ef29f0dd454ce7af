import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const B64URL = /^[A-Za-z0-9_-]*$/;

export class SecretBoxError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretBoxError';
  }
}

/**
 * AES-256-GCM for secrets at rest (restic passwords, provider credentials).
 * Sealed form: `v1:<iv>:<tag>:<ciphertext>`, each part base64url. An optional context
 * (e.g. the tenant id) is bound as associated data: a value copied to another row does not open.
 * Errors never contain the plaintext or the key.
 */
export class SecretBox {
  private readonly key: Buffer;

  /** @param keyBase64 32 random bytes, base64 or base64url (from config; see `SecretBox.generateKey`). */
  constructor(keyBase64: string) {
    const key = Buffer.from(keyBase64.trim(), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new SecretBoxError(`secret key must be ${KEY_BYTES} bytes of base64, got ${key.length} bytes`);
    }
    this.key = key;
  }

  static generateKey(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv, tag, ciphertext]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join(':');
  }

  open(sealed: string, context = ''): string {
    const parts = sealed.split(':');
    if (parts.length !== 4)
      throw new SecretBoxError('sealed secret is malformed (expected v1:<iv>:<tag>:<ciphertext>)');
    const [version, ivText, tagText, dataText] = parts as [string, string, string, string];
    if (version !== VERSION)
      throw new SecretBoxError(`sealed secret has unsupported version "${version.slice(0, 8)}"`);
    if (![ivText, tagText, dataText].every((p) => B64URL.test(p))) {
      throw new SecretBoxError('sealed secret is malformed (not base64url)');
    }
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new SecretBoxError('sealed secret is malformed (bad iv or tag length)');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(dataText, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch (err) {
      throw new SecretBoxError('sealed secret does not open: wrong key, wrong context or tampered data', {
        cause: err,
      });
    }
  }
}
