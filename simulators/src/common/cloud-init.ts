import { parse } from 'yaml';
import type { VmIdentity } from './sandbox-vms';

/**
 * What a simulated VM takes from cloud-init user data, as cloud-init itself would: `#cloud-config`
 * with `ssh_authorized_keys` (root's keys) and `ssh_keys.ed25519_private` (the host key it presents).
 * Anything else in the user data is accepted and ignored; user data that is not cloud-config gives nothing.
 */
export function identityFromUserData(userData: string | undefined): Partial<VmIdentity> {
  if (userData === undefined || !userData.startsWith('#cloud-config')) return {};
  let doc: unknown;
  try {
    doc = parse(userData);
  } catch {
    // cloud-init logs a broken cloud-config and boots without it.
    return {};
  }
  if (typeof doc !== 'object' || doc === null) return {};
  const config = doc as Record<string, unknown>;
  const out: Partial<VmIdentity> = {};
  const keys = config['ssh_authorized_keys'];
  if (Array.isArray(keys)) out.authorizedKeys = keys.filter((k): k is string => typeof k === 'string');
  const hostKeys = config['ssh_keys'];
  if (typeof hostKeys === 'object' && hostKeys !== null) {
    const priv = (hostKeys as Record<string, unknown>)['ed25519_private'];
    if (typeof priv === 'string') out.hostPrivateKey = priv;
  }
  return out;
}
