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

const PRIVATE_KEY_BLOCK =
  /^-----BEGIN OPENSSH PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END OPENSSH PRIVATE KEY-----$/;
const PRIVATE_KEY_MAGIC = 'openssh-key-v1\0';

/** Reads one SSH wire-format string (uint32 length + bytes) at `offset`; undefined past the end. */
function readSshString(buf: Buffer, offset: number): { value: Buffer; next: number } | undefined {
  if (offset + 4 > buf.length) return undefined;
  const length = buf.readUInt32BE(offset);
  const end = offset + 4 + length;
  if (end > buf.length) return undefined;
  return { value: buf.subarray(offset + 4, end), next: end };
}

/**
 * Returns a problem description, or undefined when `text` is one unencrypted OpenSSH-format ed25519
 * private key block (what `ssh-keygen -t ed25519 -N ''` writes, and what sshd can load unattended).
 * The description never contains any of the key's text.
 */
export function validatePrivateKeyBlock(text: string): string | undefined {
  const match = PRIVATE_KEY_BLOCK.exec(text.trim());
  const body = match?.[1];
  if (body === undefined) return 'must be one OpenSSH private key block (BEGIN/END OPENSSH PRIVATE KEY)';
  const data = Buffer.from(body.replace(/[\r\n]/g, ''), 'base64');
  if (data.subarray(0, PRIVATE_KEY_MAGIC.length).toString('latin1') !== PRIVATE_KEY_MAGIC) {
    return 'is not in the openssh-key-v1 format';
  }
  const cipher = readSshString(data, PRIVATE_KEY_MAGIC.length);
  const kdf = cipher && readSshString(data, cipher.next);
  const kdfOptions = kdf && readSshString(data, kdf.next);
  if (!kdfOptions || kdfOptions.next + 4 > data.length) return 'is truncated';
  if (cipher.value.toString('latin1') !== 'none') return 'must not be protected by a passphrase';
  if (data.readUInt32BE(kdfOptions.next) !== 1) return 'must hold exactly one key';
  const publicKey = readSshString(data, kdfOptions.next + 4);
  const type = publicKey && readSshString(publicKey.value, 0);
  if (!type) return 'is truncated';
  if (type.value.toString('latin1') !== 'ssh-ed25519') return 'must be an ed25519 key';
  return undefined;
}
