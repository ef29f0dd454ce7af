import { randomBytes } from 'node:crypto';

/**
 * A tenant repository's password: 32 random bytes, base64url (43 characters). Stored sealed before
 * restic ever uses it, so no repository exists whose password nobody kept.
 */
export function generateRepositoryPassword(): string {
  return randomBytes(32).toString('base64url');
}
