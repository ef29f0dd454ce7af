import { FedopsError } from '@fedops/domain';
import { parse, stringify } from 'yaml';
import type { MachineSpec } from '../resource-provider.driver';

/** The API refuses `user_data` over 32 KiB. */
export const MAX_USER_DATA_BYTES = 32 * 1024;

/**
 * The server's cloud-init user data: `#cloud-config` with the pinned host key (`ssh_keys`
 * `ed25519_private`/`ed25519_public`, so the machine presents the key the platform pinned from its
 * first boot), root's authorized keys and root login left on. The spec's own `userData`, which must be
 * cloud-config too (cloud-init takes one document), is merged in: its keys stay, its
 * `ssh_authorized_keys` are kept beside ours, and the host key is always ours.
 */
export function renderCloudConfig(
  spec: Pick<MachineSpec, 'hostKey' | 'sshAuthorizedKeys' | 'userData'>,
): string {
  const extra = parseExtra(spec.userData);
  const theirKeys = Array.isArray(extra['ssh_authorized_keys'])
    ? extra['ssh_authorized_keys'].filter((k): k is string => typeof k === 'string')
    : [];
  const config: Record<string, unknown> = {
    ...extra,
    disable_root: false,
    ssh_keys: {
      ...(isRecord(extra['ssh_keys']) ? extra['ssh_keys'] : {}),
      ed25519_private: spec.hostKey.privateKey.endsWith('\n')
        ? spec.hostKey.privateKey
        : `${spec.hostKey.privateKey}\n`,
      ed25519_public: spec.hostKey.publicKey.trim(),
    },
    ssh_authorized_keys: [...new Set([...spec.sshAuthorizedKeys.map((k) => k.trim()), ...theirKeys])],
  };
  const text = `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
  if (Buffer.byteLength(text) > MAX_USER_DATA_BYTES) {
    throw FedopsError.validation([
      { field: 'userData', message: `cloud-init user data is over ${MAX_USER_DATA_BYTES} bytes` },
    ]);
  }
  return text;
}

function parseExtra(userData: string | undefined): Record<string, unknown> {
  if (userData === undefined || userData.trim() === '') return {};
  if (!userData.startsWith('#cloud-config')) {
    throw FedopsError.validation([
      { field: 'userData', message: 'must be a #cloud-config document to be merged with the host key' },
    ]);
  }
  let doc: unknown;
  try {
    doc = parse(userData);
  } catch (err) {
    throw FedopsError.validation([
      {
        field: 'userData',
        message: `is not valid YAML: ${err instanceof Error ? err.message : String(err)}`,
      },
    ]);
  }
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc))
    throw FedopsError.validation([{ field: 'userData', message: 'must be a YAML mapping' }]);
  return doc;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
