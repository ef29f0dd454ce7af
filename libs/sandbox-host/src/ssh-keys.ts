/** Checks on OpenSSH public key lines (authorized_keys entries and host keys). */

const KEY_TYPES = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/**
 * Returns a problem description, or undefined when `line` is a single public key line without options
 * (surrounding whitespace, such as the newline ending a .pub file, is allowed).
 */
export function validatePublicKeyLine(line: string): string | undefined {
  if (/[\r\n\0]/.test(line.trim())) return 'must be a single line';
  const [type, blob] = line.trim().split(/\s+/);
  if (type === undefined || !KEY_TYPES.has(type)) return `unknown key type "${type ?? ''}"`;
  if (blob === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return 'key data is not base64';
  return undefined;
}

/** `type base64` without the comment, the form used for pinning and known_hosts lines. */
export function normalizePublicKey(line: string): string {
  const problem = validatePublicKeyLine(line);
  if (problem) throw new Error(`Not an OpenSSH public key line: ${problem}`);
  const [type, blob] = line.trim().split(/\s+/);
  return `${type} ${blob}`;
}

export function renderAuthorizedKeys(keys: readonly string[]): string {
  return keys.map((key) => `${key.trim()}\n`).join('');
}
