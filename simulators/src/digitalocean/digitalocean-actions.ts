import { setTimeout as delay } from 'node:timers/promises';
import type { SandboxVms } from '../common/sandbox-vms';
import type { SizeEntry } from './digitalocean-catalog';
import { finishAction, type Action, type DigitalOceanState, type Droplet } from './digitalocean-state';

/** How an accepted event is to end: as it should, in error (`task-error`), or late (`slow-task`). */
export interface EventFault {
  errored: boolean;
  extraMs: number;
}

export const NO_FAULT: EventFault = { errored: false, extraMs: 0 };

export type PowerActionType = 'power_on' | 'power_off' | 'shutdown' | 'reboot' | 'power_cycle';

export interface ActionTimings {
  /** Boot delay of a new or restarted droplet (after its sandbox machine exists). */
  bootDelayMs: number;
  /** Other events (power off, shutdown, resize, rename). */
  actionDelayMs: number;
  /** How long the droplet's `status` lags behind its completed action (reported by droplet_kit#50). */
  statusLagMs: number;
}

/**
 * The droplets' events, run in the background after the API has answered: a create boots a real
 * sandbox machine (cloud-init identity applied) and only then turns the droplet `active` with its
 * address; power events flip the status; resize changes the size. While an event runs, the droplet
 * is `locked` and refuses other events.
 *
 * Power is real: `power_off` and `shutdown` stop the machine's sshd (its namespace, address, host key
 * and root folder stay, as a droplet keeps its IP and disk), so an `off` droplet refuses SSH;
 * `power_on` and `power_cycle` start it again (repairing a broken machine), as does `reboot` of an
 * active droplet. A graceful `reboot` of an off droplet leaves it off (nothing runs to reboot).
 */
export class DropletEvents {
  private readonly stopped = new AbortController();
  private readonly running = new Set<Promise<void>>();
  /** Called when an event changed something after the API answered (the state file is saved). */
  onChange: () => void = () => undefined;

  constructor(
    private readonly state: DigitalOceanState,
    private readonly vms: SandboxVms,
    private readonly timings: ActionTimings,
  ) {}

  create(droplet: Droplet, action: Action, fault: EventFault): void {
    this.track(this.runCreate(droplet, action, fault));
  }

  power(droplet: Droplet, action: Action, type: PowerActionType, fault: EventFault): void {
    this.track(this.runPower(droplet, action, type, fault));
  }

  resize(droplet: Droplet, action: Action, size: SizeEntry, disk: boolean, fault: EventFault): void {
    this.track(
      this.runSimple(droplet, action, fault, () => {
        droplet.size = size;
        if (disk) droplet.disk = size.disk;
      }),
    );
  }

  rename(droplet: Droplet, action: Action, name: string, fault: EventFault): void {
    this.track(
      this.runSimple(droplet, action, fault, () => {
        droplet.name = name;
      }),
    );
  }

  /** Removes the droplet's machine (in the background: the API has already answered 204). */
  destroyMachine(droplet: Droplet): void {
    this.track(
      this.vms.destroy(droplet.machineLabel).then(
        () => undefined,
        () => undefined,
      ),
    );
  }

  /**
   * After a restart from a state file (whose running events have ended `errored`): brings each
   * droplet's machine to what its status says. An `active` droplet's machine is resumed (sshd started
   * again if it died, same address and host key), or the droplet is left `off` when that fails; an
   * `off` droplet's machine, and the machine a broken `new` droplet may have, are powered off.
   */
  async restoreMachines(): Promise<void> {
    await Promise.all(
      [...this.state.droplets.values()].map(async (droplet) => {
        droplet.locked = false;
        if (droplet.status === 'active') {
          try {
            this.adopt(droplet, await this.vms.resume(droplet.machineLabel, droplet.identity));
            return;
          } catch {
            droplet.status = 'off';
          }
        }
        await this.vms.powerOff(droplet.machineLabel).catch(() => false);
      }),
    );
  }

  /** Stops every pending event and waits for the ones touching sandbox machines to settle. */
  async close(): Promise<void> {
    this.stopped.abort();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(tracked);
        if (!this.stopped.signal.aborted) this.onChange();
      });
    this.running.add(tracked);
  }

  /** The machine's address is the droplet's public IPv4 (the same across power cycles). */
  private adopt(droplet: Droplet, host: { address: string; hostAddress: string }): void {
    droplet.address = host.address;
    droplet.gateway = host.hostAddress;
  }

  /** Waits `ms`; false when the simulator closed meanwhile. */
  private async wait(ms: number): Promise<boolean> {
    if (this.stopped.signal.aborted) return false;
    if (ms <= 0) return true;
    try {
      await delay(ms, undefined, { signal: this.stopped.signal });
      return true;
    } catch {
      return false;
    }
  }

  private exists(droplet: Droplet): boolean {
    return this.state.droplets.get(droplet.id) === droplet;
  }

  private async settle(droplet: Droplet, action: Action, apply: () => void): Promise<void> {
    finishAction(action, 'completed');
    this.onChange();
    if (!(await this.wait(this.timings.statusLagMs))) return;
    apply();
    droplet.locked = false;
  }

  private async runCreate(droplet: Droplet, action: Action, fault: EventFault): Promise<void> {
    if (fault.errored) {
      // The event fails before a machine exists: the droplet stays `new` without networks, as a
      // broken create does on DigitalOcean; only deleting it helps.
      if (!(await this.wait(Math.ceil(this.timings.bootDelayMs / 2) + fault.extraMs))) return;
      finishAction(action, 'errored');
      droplet.locked = false;
      return;
    }
    let host;
    try {
      host = await this.vms.boot(droplet.machineLabel, droplet.identity);
    } catch {
      finishAction(action, 'errored');
      droplet.locked = false;
      return;
    }
    if (!this.exists(droplet)) {
      // Deleted while it booted: the delete's own destroy may have run before the machine existed.
      this.destroyMachine(droplet);
      return;
    }
    if (!(await this.wait(fault.extraMs))) return;
    this.adopt(droplet, host);
    await this.settle(droplet, action, () => {
      droplet.status = 'active';
    });
  }

  private async runPower(
    droplet: Droplet,
    action: Action,
    type: PowerActionType,
    fault: EventFault,
  ): Promise<void> {
    const turnsOff = type === 'power_off' || type === 'shutdown';
    const boots = !turnsOff && !(type === 'reboot' && droplet.status === 'off');
    if (!(await this.wait(fault.extraMs))) return;
    if (fault.errored) {
      // A failed event changes nothing on the machine.
      if (!(await this.wait(boots ? this.timings.bootDelayMs : this.timings.actionDelayMs))) return;
      finishAction(action, 'errored');
      droplet.locked = false;
      return;
    }
    try {
      if (boots) {
        // Found, started again if it was off, or repaired (its namespace may be gone).
        this.adopt(droplet, await this.vms.boot(droplet.machineLabel, droplet.identity));
      } else {
        if (!(await this.wait(this.timings.actionDelayMs))) return;
        if (turnsOff) await this.vms.powerOff(droplet.machineLabel);
      }
    } catch {
      finishAction(action, 'errored');
      droplet.locked = false;
      return;
    }
    if (!this.exists(droplet)) {
      // Destroyed meanwhile: a boot may have made the machine again after the destroy removed it.
      if (boots) this.destroyMachine(droplet);
      return;
    }
    // Closing: the event stays in progress (a restart ends it `errored`, the machine as the status says).
    if (this.stopped.signal.aborted) return;
    await this.settle(droplet, action, () => {
      if (turnsOff) droplet.status = 'off';
      else if (boots) droplet.status = 'active';
    });
  }

  private async runSimple(
    droplet: Droplet,
    action: Action,
    fault: EventFault,
    apply: () => void,
  ): Promise<void> {
    if (!(await this.wait(this.timings.actionDelayMs + fault.extraMs))) return;
    if (fault.errored) {
      finishAction(action, 'errored');
      droplet.locked = false;
      return;
    }
    apply();
    await this.settle(droplet, action, () => undefined);
  }
}
