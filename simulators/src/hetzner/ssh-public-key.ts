import { generateKeyPairSync } from 'node:crypto';
import { OPENSSH_KEY_TYPES, parsePublicKeyLine, type PublicKey } from '../common/ssh-public-keys';

/**
 * The key types a Hetzner SSH key may have here: OpenSSH's but DSA, which the sandbox machines'
 * sshd does not take (a server made with one could not boot).
 */
const HETZNER_KEY_TYPES = OPENSSH_KEY_TYPES.filter((type) => type !== 'ssh-dss');

/** The key on `line`, or undefined when `POST /ssh_keys` answers `invalid public key`. */
export function hetznerPublicKey(line: string): PublicKey | undefined {
  return parsePublicKeyLine(line, HETZNER_KEY_TYPES);
}

/**
 * A public key line nobody holds the private half of: what a server made without SSH keys gets
 * (on Hetzner it is reachable by its root password only; the sandbox machine needs some key).
 */
export function unusablePublicKey(): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(jwk.x ?? '', 'base64url');
  const sshString = (data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, data]);
  };
  const blob = Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} root-password-only`;
}
