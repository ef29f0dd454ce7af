import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `fdo_` + id + `_` + secret: the id finds the row, the secret proves possession. */
export const API_TOKEN_FORMAT = /^fdo_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;

/** 32 random bytes: 256 bits, base64url without padding (43 characters). */
export const SECRET_BYTES = 32;

export interface ApiTokenParts {
  id: string;
  secret: string;
}

/** A new token: a random id (12 bytes, hex) and a random secret. */
export function newApiToken(): ApiTokenParts & { token: string } {
  const id = randomBytes(12).toString('hex');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { id, secret, token: formatApiToken({ id, secret }) };
}

export function formatApiToken({ id, secret }: ApiTokenParts): string {
  return `fdo_${id}_${secret}`;
}

/** The parts of a well-formed token, or `undefined`. */
export function parseApiToken(token: string): ApiTokenParts | undefined {
  const match = API_TOKEN_FORMAT.exec(token);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { id: match[1], secret: match[2] };
}

/**
 * What is stored of a secret: its SHA-256. A password needs a slow KDF (bcrypt, scrypt, Argon2)
 * because people choose guessable ones; this secret is 256 random bits, so no guess of it is
 * likelier than another and a fast hash of it is as strong as the secret. A leaked table gives
 * nothing to try offline.
 */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Whether `secret` is the one whose digest is stored, compared in constant time. */
export function secretMatches(secret: string, storedSha256: Buffer): boolean {
  const digest = hashSecret(secret);
  return storedSha256.length === digest.length && timingSafeEqual(digest, storedSha256);
}
