import { FedopsError } from '@fedops/domain';
import { parse } from 'yaml';
import { renderCloudConfig } from './hetzner-cloud-config';

describe('Hetzner cloud-config', () => {
  const hostKey = {
    privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\nBBBB\n-----END OPENSSH PRIVATE KEY-----\n',
    publicKey: 'ssh-ed25519 AAAAHOST',
  };
  const platformKey = 'ssh-ed25519 AAAAPLATFORM fedops';

  it('carries the pinned host key and the platform key, root login on', () => {
    const text = renderCloudConfig({ hostKey, sshAuthorizedKeys: [platformKey] });
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    expect(parse(text)).toEqual({
      disable_root: false,
      ssh_keys: { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey },
      ssh_authorized_keys: [platformKey],
    });
  });

  it('merges the spec’s cloud-config: its keys stay, the host key is ours', () => {
    const userData = [
      '#cloud-config',
      'packages: [htop]',
      'ssh_authorized_keys: ["ssh-ed25519 AAAAOPS ops", "ssh-ed25519 AAAAPLATFORM fedops"]',
      'ssh_keys: {ed25519_private: theirs, rsa_private: keep}',
    ].join('\n');
    const doc = parse(renderCloudConfig({ hostKey, sshAuthorizedKeys: [platformKey], userData })) as Record<
      string,
      unknown
    >;
    expect(doc['packages']).toEqual(['htop']);
    expect(doc['ssh_authorized_keys']).toEqual([platformKey, 'ssh-ed25519 AAAAOPS ops']);
    expect(doc['ssh_keys']).toEqual({
      rsa_private: 'keep',
      ed25519_private: hostKey.privateKey,
      ed25519_public: hostKey.publicKey,
    });
  });

  it('refuses user data it cannot merge, and user data over 32 KiB', () => {
    const render = (userData: string) => () =>
      renderCloudConfig({ hostKey, sshAuthorizedKeys: [], userData });
    expect(render('#!/bin/sh\necho hi')).toThrow(FedopsError);
    expect(render('#cloud-config\n- a list')).toThrow(/mapping/);
    expect(render(`#cloud-config\nbig: "${'x'.repeat(33 * 1024)}"`)).toThrow(/32768 bytes/);
  });
});
