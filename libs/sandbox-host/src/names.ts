import { createHash } from 'node:crypto';

/**
 * Names derived from labels. Linux interface names hold at most 15 characters, and the host end of
 * the veth pair carries the namespace's name, so `<prefix>-<8 hex>` must fit: the prefix has at most 6.
 */
export const MAX_PREFIX_LENGTH = 6;
const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,5}$/;
const HASH_LENGTH = 8;

export function validatePrefix(prefix: string): string | undefined {
  if (!PREFIX_PATTERN.test(prefix)) {
    return `must be 1-${MAX_PREFIX_LENGTH} lowercase letters or digits starting with a letter, got "${prefix}"`;
  }
  return undefined;
}

/** Labels are tenant or VM ids: printable, no whitespace, at most 200 characters. */
export function validateLabel(label: string): string | undefined {
  if (label.length === 0) return 'must not be empty';
  if (label.length > 200) return 'must be at most 200 characters';
  if (!/^[\x21-\x7e]+$/.test(label)) return 'must be printable ASCII without whitespace';
  return undefined;
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, HASH_LENGTH);
}

/**
 * Network namespace name for a label: `<prefix>-<short hash>`. The hash covers the state dir (`scope`)
 * as well as the label, so two managers with the same prefix but different state dirs (parallel test
 * files) never derive the same name. `attempt` > 0 derives an alternative name, used only when the
 * first one is taken by another label of the same state dir (a hash collision).
 */
export function hostName(prefix: string, scope: string, label: string, attempt = 0): string {
  const key = `${scope}\u0000${label}${attempt === 0 ? '' : `\u0000${attempt}`}`;
  return `${prefix}-${shortHash(key)}`;
}

/** Whether `name` is a namespace name this prefix could have produced. */
export function isHostName(prefix: string, name: string): boolean {
  return new RegExp(`^${prefix}-[0-9a-f]{${HASH_LENGTH}}$`).test(name);
}

/** The host end of the veth pair has the namespace's name; the namespace end is always `eth0`. */
export function vethNames(name: string): { hostSide: string; namespaceSide: 'eth0' } {
  return { hostSide: name, namespaceSide: 'eth0' };
}
