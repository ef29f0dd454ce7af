/**
 * The guests inside the simulated VMs: each running VM is a real sandbox machine (network namespace,
 * address, sshd) booted from its cloud-init settings (`sshkeys` become root's authorized keys; the
 * machine makes its own host key on first boot, as cloud-init does), and its QEMU guest agent answers
 * only once the machine has booted. A stopped VM's machine is powered off (its sshd stopped: SSH is
 * refused); starting it again brings it back with the same address and host key.
 */
import type { SandboxVms, VmIdentity } from '../common/sandbox-vms';

export interface GuestFacts {
  address: string;
  /** The public host key line the machine's sshd presents. */
  hostKey: string;
}

interface GuestState {
  /** Bumped by every power change, so a boot that finishes after a stop does not count. */
  generation: number;
  running: boolean;
  ready?: GuestFacts;
  booting?: Promise<void>;
  lastError?: string;
}

export class ProxmoxGuests {
  private readonly guests = new Map<string, GuestState>();

  constructor(private readonly machines: SandboxVms) {}

  private state(label: string): GuestState {
    let state = this.guests.get(label);
    if (!state) {
      state = { generation: 0, running: false };
      this.guests.set(label, state);
    }
    return state;
  }

  /** The VM's QEMU process started: the guest boots in the background (sandbox machine, then boot delay). */
  powerOn(label: string, identity: VmIdentity): void {
    const state = this.state(label);
    const generation = ++state.generation;
    state.running = true;
    state.ready = undefined;
    const boot = (async () => {
      await state.booting?.catch(() => undefined);
      try {
        const host = await this.machines.boot(label, identity);
        if (state.generation !== generation) {
          // Stopped (or rebooted) while booting: the newer power change decides.
          if (!state.running) await this.machines.powerOff(label);
          return;
        }
        state.ready = { address: host.address, hostKey: host.hostKey };
        state.lastError = undefined;
      } catch (err) {
        state.lastError = err instanceof Error ? err.message : String(err);
      }
    })();
    state.booting = boot;
  }

  /**
   * After a restart of the simulator, a VM that was running: its machine is brought back (sshd
   * started again if it died, network set up again; same address and host key) without the boot
   * delay, and its agent answers at once. False when it cannot be (the reason kept as `lastError`;
   * the machine is powered off).
   */
  async resume(label: string, identity: VmIdentity): Promise<boolean> {
    const state = this.state(label);
    state.generation++;
    state.running = true;
    try {
      const host = await this.machines.resume(label, identity);
      state.ready = { address: host.address, hostKey: host.hostKey };
      state.lastError = undefined;
      return true;
    } catch (err) {
      state.running = false;
      state.lastError = err instanceof Error ? err.message : String(err);
      await this.machines.powerOff(label).catch(() => false);
      return false;
    }
  }

  /** The QEMU process is gone: the guest's sshd stops, the agent goes silent. */
  async powerOff(label: string): Promise<void> {
    const state = this.state(label);
    state.generation++;
    state.running = false;
    state.ready = undefined;
    await state.booting?.catch(() => undefined);
    await this.machines.powerOff(label);
  }

  /** The VM was destroyed: its machine goes too. */
  async destroy(label: string): Promise<void> {
    const state = this.state(label);
    state.generation++;
    state.running = false;
    state.ready = undefined;
    await state.booting?.catch(() => undefined);
    this.guests.delete(label);
    await this.machines.destroy(label);
  }

  /** What the guest agent can tell: undefined until the guest has booted. */
  agent(label: string): GuestFacts | undefined {
    return this.guests.get(label)?.ready;
  }

  lastError(label: string): string | undefined {
    return this.guests.get(label)?.lastError;
  }

  /** Waits for boots under way (before the simulator closes). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.guests.values()].map((s) => s.booting));
  }
}
