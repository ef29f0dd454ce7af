import { randomBytes, randomInt } from 'node:crypto';
import type { AppSecret } from '@fedops/catalog';

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A fresh random value for a catalog secret (the kernel's CSPRNG through node:crypto). */
export function generateSecret(generate: AppSecret['generate']): string {
  switch (generate.kind) {
    case 'hex':
      return randomBytes(generate.bytes).toString('hex');
    case 'base64':
      return randomBytes(generate.bytes).toString('base64');
    case 'password':
      // `bytes` characters from an alphabet without look-alikes (0/O, 1/l/I): ~5.8 bits each.
      return Array.from(
        { length: generate.bytes },
        () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)],
      ).join('');
  }
}

/** What the file on the machine holds: the bare value, or one `NAME=<prefix><value>` line. */
export function secretFileContent(secret: Pick<AppSecret, 'file'>, value: string): string {
  return secret.file === undefined ? value : `${secret.file.env}=${secret.file.valuePrefix ?? ''}${value}\n`;
}
