import { setTimeout as delay } from 'node:timers/promises';
import type { SandboxHostManager } from '@fedops/sandbox-host';
import type { ProvidedMachine, ResourceProviderDriver } from '../resource-provider.driver';

/**
 * Machines on this host: a network namespace with its own address and a real sshd (see
 * libs/sandbox-host). Configuration activation uses the sandbox stand-in, not NixOS.
 */
export class SandboxDriver implements ResourceProviderDriver {
  readonly kind = 'sandbox' as const;

  constructor(
    private readonly hosts: SandboxHostManager,
    /** Simulated boot time, so timing and crash behaviour resemble a VM's. */
    private readonly bootDelayMs: number,
  ) {}

  async ensureMachine(tenantId: string): Promise<ProvidedMachine> {
    const existing = await this.hosts.findHost(tenantId);
    const host = await this.hosts.ensureHost(tenantId);
    if (existing === undefined && this.bootDelayMs > 0) await delay(this.bootDelayMs);
    return {
      providerId: host.name,
      address: host.address,
      sshPort: host.sshPort,
      sshUser: host.sshUser,
      sshHostKey: host.hostKey,
      fsRoot: host.rootDir,
      activation: 'sandbox-standin',
    };
  }

  destroyMachine(tenantId: string): Promise<boolean> {
    return this.hosts.destroyHost(tenantId);
  }
}
