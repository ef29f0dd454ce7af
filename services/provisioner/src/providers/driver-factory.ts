import type { ResourceProviderKind } from '@fedops/contracts';
import { FedopsError, FedopsErrorCode, assertUnreachable } from '@fedops/domain';
import type { SandboxHostManager } from '@fedops/sandbox-host';
import type { ResourceProviderDriver } from '../drivers/resource-provider.driver';
import { DigitalOceanDriver } from '../drivers/digitalocean/digitalocean.driver';
import { HetznerDriver } from '../drivers/hetzner/hetzner.driver';
import { ProxmoxDriver } from '../drivers/proxmox/proxmox.driver';
import { SandboxDriver } from '../drivers/sandbox/sandbox.driver';

/** What a driver is built from: a provider's registration with its credentials opened. */
export interface DriverSource {
  kind: ResourceProviderKind;
  endpoint: string | null;
  credentials: Record<string, string>;
  settings: Record<string, string>;
  /** Image or Proxmox template VMID. */
  image: string;
  locations: string[];
}

/** Host-local things some drivers need (the sandbox driver's machines live on this host). */
export interface DriverFactoryDeps {
  sandboxHosts: SandboxHostManager | undefined;
  sandboxBootDelayMs: number;
  /** How often drivers poll a task or action (tests and simulators: short). */
  pollIntervalMs: number;
}

export const DRIVER_FACTORY = Symbol('DRIVER_FACTORY');
export type DriverFactory = (source: DriverSource) => ResourceProviderDriver;

/** One driver per registered provider, built from its registration; kinds map to drivers here only. */
export function createDriverFactory(deps: DriverFactoryDeps): DriverFactory {
  return (source) => {
    switch (source.kind) {
      case 'sandbox':
        if (deps.sandboxHosts === undefined) {
          throw new FedopsError(
            FedopsErrorCode.ConfigurationInvalid,
            'This provisioner has no sandbox host (FEDOPS_SANDBOX_STATE_DIR is not set)',
          );
        }
        return new SandboxDriver(deps.sandboxHosts, deps.sandboxBootDelayMs);
      case 'proxmox': {
        const template = Number(source.image);
        return new ProxmoxDriver({
          endpoint: required(source.endpoint, 'endpoint'),
          tokenId: required(source.credentials['tokenId'], 'credentials.tokenId'),
          tokenSecret: required(source.credentials['tokenSecret'], 'credentials.tokenSecret'),
          storage: required(source.settings['storage'], 'settings.storage'),
          template,
          ...(source.settings['bridge'] !== undefined ? { bridge: source.settings['bridge'] } : {}),
          ...(source.settings['ipconfig'] !== undefined ? { ipconfig: source.settings['ipconfig'] } : {}),
          ...(source.settings['nameserver'] !== undefined
            ? { nameserver: source.settings['nameserver'] }
            : {}),
          pollIntervalMs: deps.pollIntervalMs,
        });
      }
      case 'hetzner':
        return new HetznerDriver({
          ...(source.endpoint !== null ? { endpoint: source.endpoint } : {}),
          token: required(source.credentials['token'], 'credentials.token'),
          pollIntervalMs: deps.pollIntervalMs,
        });
      case 'digitalocean':
        return new DigitalOceanDriver({
          ...(source.endpoint !== null ? { endpoint: source.endpoint } : {}),
          token: required(source.credentials['token'], 'credentials.token'),
          pollIntervalMs: deps.pollIntervalMs,
        });
      default:
        return assertUnreachable(source.kind, 'provider kind');
    }
  };
}

function required(value: string | null | undefined, field: string): string {
  if (value === undefined || value === null || value === '') {
    throw FedopsError.validation([{ field, message: 'is required' }]);
  }
  return value;
}
