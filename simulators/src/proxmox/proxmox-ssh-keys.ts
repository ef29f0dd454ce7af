/**
 * The `sshkeys` option: URL-encoded OpenSSH public key lines. The schema accepts only the
 * `encodeURIComponent` alphabet (`invalid urlencoded string` otherwise); after decoding, each non-blank
 * line must pass `ssh-keygen -l` (`SSH public key validation error`, a 500).
 */
import { OPENSSH_KEY_TYPES, parsePublicKeyLine } from '../common/ssh-public-keys';

/** What `ssh-keygen -l` checks of a public key line: a known type and a blob that names that type. */
export function isValidPublicKeyLine(line: string): boolean {
  const fields = line.trim().split(/\s+/);
  // ssh-keygen also accepts authorized_keys lines with options before the type.
  const at = fields.findIndex((f) => (OPENSSH_KEY_TYPES as readonly string[]).includes(f));
  return at >= 0 && parsePublicKeyLine(fields.slice(at).join(' ')) !== undefined;
}

/** `URI::Escape::uri_unescape`: `%XX` sequences decoded, anything else kept. */
export function uriUnescape(text: string): string {
  return Buffer.from(
    text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}

/** The decoded key lines of an `sshkeys` value (blank lines dropped). */
export function decodeSshKeys(value: string | undefined): string[] {
  if (value === undefined) return [];
  return uriUnescape(value)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
