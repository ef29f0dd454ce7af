import type { ResourceProviderKind } from '@fedops/contracts';
import { assertUnreachable } from '@fedops/domain';
import { nixExpr, type NixValue } from './nix-string';

/**
 * `machine.nix`: what the machine is, per provider kind, instead of an assumed
 * hardware-configuration.nix. Boot loader and file systems come from the NixOS module that builds
 * the provider's image, so the configuration describes the disk the image really has:
 * - proxmox: `virtualisation/proxmox-image.nix` (the VMA/qcow2 image made with it, cloud-init
 *   for the network, the QEMU guest agent);
 * - hetzner and digitalocean: the clouds' own image modules (`hcloud-config.nix`,
 *   `digital-ocean-config.nix`): boot loader, root file system grown on boot, metadata agents;
 * - sandbox: a container-like system (`boot.isContainer`): sandbox machines are network namespaces
 *   on the fedops host and never boot this configuration; the activation stand-in reads it.
 */
export interface MachineProfile {
  imports: string[];
  config: Record<string, NixValue>;
}

export function machineProfile(kind: ResourceProviderKind): MachineProfile {
  switch (kind) {
    case 'proxmox':
      return {
        imports: ['virtualisation/proxmox-image.nix'],
        config: {
          services: {
            qemuGuest: { enable: true },
            'cloud-init': { enable: true, network: { enable: true } },
          },
          proxmox: { qemuConf: { name: nixExpr('config.networking.hostName') } },
        },
      };
    case 'digitalocean':
      return {
        imports: ['virtualisation/digital-ocean-config.nix'],
        config: {},
      };
    case 'hetzner':
      return { imports: ['virtualisation/hcloud-config.nix'], config: {} };
    case 'sandbox':
      return { imports: [], config: { boot: { isContainer: true } } };
    default:
      return assertUnreachable(kind, 'provider kind');
  }
}
