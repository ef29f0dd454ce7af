import { setTimeout as delay } from 'node:timers/promises';
import { SandboxHostManager, type SandboxHost } from '@fedops/sandbox-host';
import type { SimulatorOptions } from './simulator';

/** What a VM is given at creation: who may log in, and the host key it should present (cloud-init). */
export interface VmIdentity {
  authorizedKeys: string[];
  /** An OpenSSH ed25519 private key; absent: the machine makes its own. */
  hostPrivateKey?: string;
}

/**
 * The real machines behind a simulator's VMs: one sandbox host (network namespace, address, sshd)
 * per VM, labelled with the simulator's VM key, after a boot delay like a VM's.
 *
 * Power: `powerOff` stops the machine's sshd, so an off VM refuses SSH as a powered-off one does; its
 * namespace, address, host key and root folder (its disk) stay. `boot` and `resume` bring it back:
 * `ensureHost` repairs a machine whose sshd is not answering (and one whose namespace vanished with
 * a reboot of the host), keeping its address and host key.
 */
export class SandboxVms {
  private readonly hosts: SandboxHostManager;
  readonly bootDelayMs: number;

  constructor(options: SimulatorOptions) {
    this.hosts = new SandboxHostManager({
      stateDir: options.stateDir,
      namePrefix: options.namePrefix,
      ...(options.subnet !== undefined ? { subnet: options.subnet } : {}),
      authorizedKeys: [],
    });
    this.bootDelayMs = options.bootDelayMs ?? 1500;
  }

  /**
   * Makes the machine of `label`, or starts it again when it is powered off (or broken), and waits
   * out the boot delay.
   */
  async boot(label: string, identity: VmIdentity, extraDelayMs = 0): Promise<SandboxHost> {
    const host = await this.hosts.ensureHost(label, identity);
    await delay(this.bootDelayMs + extraDelayMs);
    return host;
  }

  /**
   * A machine that was running before the simulator restarted: repaired if it needs it (sshd
   * restarted, network set up again), without the boot delay.
   */
  resume(label: string, identity: VmIdentity): Promise<SandboxHost> {
    return this.hosts.ensureHost(label, identity);
  }

  /** Powers the machine off (stops its sshd; everything else stays). False when it does not exist. */
  powerOff(label: string): Promise<boolean> {
    return this.hosts.stopSshd(label);
  }

  /** Whether the machine is powered on (its sshd runs). */
  isPoweredOn(label: string): Promise<boolean> {
    return this.hosts.isSshdRunning(label);
  }

  find(label: string): Promise<SandboxHost | undefined> {
    return this.hosts.findHost(label);
  }

  destroy(label: string): Promise<boolean> {
    return this.hosts.destroyHost(label);
  }

  destroyAll(): Promise<string[]> {
    return this.hosts.destroyAll();
  }
}
