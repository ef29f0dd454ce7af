/**
 * OpenSSH public key lines as the vendors' APIs take them (`type base64 [comment]`): the key types,
 * parsing with the blob checked against the type it claims, and the two fingerprints
 * `ssh-keygen -l` prints. What a vendor answers for a key it refuses stays with the vendor.
 */
import { createHash } from 'node:crypto';

/** Every key type OpenSSH knows (DSA included: older OpenSSH still reads it). */
export const OPENSSH_KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;

export interface PublicKey {
  type: string;
  /** The decoded key blob: what the fingerprints are taken of. */
  blob: Buffer;
  /** The rest of the line, if any. */
  comment?: string;
}

/**
 * The key on `line` (surrounding whitespace ignored), or undefined when it is not one: a type not in
 * `types`, data that is not base64, or a blob that does not start with its own type as an SSH string
 * (a key of one type pasted under another's name).
 */
export function parsePublicKeyLine(
  line: string,
  types: readonly string[] = OPENSSH_KEY_TYPES,
): PublicKey | undefined {
  const [type, data, ...rest] = line.trim().split(/\s+/);
  if (type === undefined || data === undefined || !types.includes(type)) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return undefined;
  const blob = Buffer.from(data, 'base64');
  if (blob.length < 4 + type.length || blob.readUInt32BE(0) !== type.length) return undefined;
  if (blob.subarray(4, 4 + type.length).toString('latin1') !== type) return undefined;
  return { type, blob, ...(rest.length > 0 ? { comment: rest.join(' ') } : {}) };
}

/** `ssh-keygen -l -E md5` without its `MD5:` prefix: colon-separated hex (`3b:16:e4:...`). */
export function md5Fingerprint(blob: Buffer): string {
  return (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':');
}

/** `ssh-keygen -l` (the default since OpenSSH 6.8): `SHA256:` and unpadded base64. */
export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
