import { setTimeout as delay } from 'node:timers/promises';
import type { ActivationKind } from '@fedops/contracts';
import { ProviderError } from '../provider-error';
import {
  OWNER_LABELS,
  type ConnectionReport,
  type DriverCallContext,
  type DriverMachine,
  type MachineSizing,
  type MachineSpec,
  type ProviderCapacity,
  type ReachableMachine,
  type ResourceProviderDriver,
} from '../resource-provider.driver';
import { DEFAULT_DIGITALOCEAN_ENDPOINT, DigitalOceanClient } from './digitalocean.client';
import {
  buildCloudConfig,
  labelsToTags,
  machineTag,
  publicAddress,
  publicKeyLine,
  smallestFittingSize,
  sshFingerprint,
  tagsToLabels,
  toDriverMachine,
  type DoAction,
  type DoDroplet,
  type DoRegion,
  type DoSize,
} from './digitalocean.mapping';

export interface DigitalOceanDriverConfig {
  /** API base including `/v2` (default https://api.digitalocean.com/v2; simulators: their URL). */
  endpoint?: string;
  /** A personal access token (`dop_v1_...`) with droplet, ssh_key, tag, region, size and image scopes. */
  token: string;
  /** How often an action or a droplet's status is polled (default 3 s). */
  pollIntervalMs?: number;
  /** One HTTP exchange's limit (default 30 s). */
  requestTimeoutMs?: number;
  /** Longest wait for one action or status change before a retryable refusal (default 15 min). */
  waitTimeoutMs?: number;
  /** How machines made here get their configuration (default `nixos-rebuild`; simulators' sandbox machines: `sandbox-standin`). */
  activation?: ActivationKind;
}

/**
 * Droplets on DigitalOcean API v2, over plain fetch.
 *
 * - Idempotency: droplet names are not unique, so a blindly retried create makes a second droplet.
 *   Every droplet carries the tag `fedops-machine:<machine id>`; `create` first lists
 *   `?tag_name=fedops-machine:<id>` and adopts what it finds (waiting for it), and only then creates.
 *   A found droplet whose create action errored is deleted and the call fails retryably, so the next
 *   attempt makes a good one.
 * - Owner labels are tags `key:value` (keys without colons; DO tags allow letters, digits, `:`, `-`, `_`).
 *   `listByLabels` filters server-side on one label (`tag_name`) and on the rest client-side.
 * - The machine's identity: the platform's keys are account SSH keys (found by fingerprint or added)
 *   given in `ssh_keys`, and cloud-init user data `#cloud-config` sets `ssh_authorized_keys` and the
 *   pinned host key (`ssh_keys.ed25519_private|public`), with the spec's own user data merged in.
 * - Calls are single attempts; refusals become ProviderErrors (5xx, 429 and "pending event" 422s
 *   retryable, with `retry-after`/`ratelimit-reset` as retryAfterSeconds). Waiting on an action follows
 *   the `href` the API gave, heartbeating each poll and stopping at once when the call is cancelled.
 */
export class DigitalOceanDriver implements ResourceProviderDriver {
  readonly kind = 'digitalocean' as const;
  private readonly api: DigitalOceanClient;
  private readonly pollIntervalMs: number;
  private readonly waitTimeoutMs: number;
  private readonly activation: ActivationKind;

  constructor(config: DigitalOceanDriverConfig) {
    this.api = new DigitalOceanClient({
      endpoint: config.endpoint ?? DEFAULT_DIGITALOCEAN_ENDPOINT,
      token: config.token,
      requestTimeoutMs: config.requestTimeoutMs ?? 30_000,
    });
    this.pollIntervalMs = config.pollIntervalMs ?? 3000;
    this.waitTimeoutMs = config.waitTimeoutMs ?? 15 * 60_000;
    this.activation = config.activation ?? 'nixos-rebuild';
  }

  async testConnection(ctx: DriverCallContext): Promise<ConnectionReport> {
    const { account } = await this.api.call<{
      account: { email?: string; team?: { name?: string } | null; status?: string };
    }>('GET', '/account', { signal: ctx.signal, action: 'read the account' });
    const regions = await this.regions(ctx);
    const who = account.team?.name
      ? `team "${account.team.name}" (${account.email ?? 'no email'})`
      : (account.email ?? '');
    const sizes = await this.api.listAll<DoSize>('/sizes', 'sizes', {
      signal: ctx.signal,
      action: 'list sizes',
    });
    return {
      locations: regions.filter((r) => r.available).map((r) => r.slug),
      sizes: sizes.filter((size) => size.available).map((size) => size.slug),
      ...(who !== '' ? { identity: `DigitalOcean ${who}, account ${account.status ?? 'active'}` } : {}),
    };
  }

  async capacity(ctx: DriverCallContext): Promise<ProviderCapacity> {
    const regions = await this.regions(ctx);
    return { locations: regions.map((r) => ({ name: r.slug, available: r.available })) };
  }

  async create(spec: MachineSpec, ctx: DriverCallContext): Promise<ReachableMachine> {
    const tag = machineTag(spec.machineId);
    const found = await this.dropletsTagged(tag, ctx);
    let droplet: DoDroplet;
    if (found.length > 0) {
      // A previous attempt made it (its answer may have been lost): adopt the oldest, never make another.
      droplet = found.sort((a, b) => a.id - b.id)[0] as DoDroplet;
      const createAction = (
        await this.api.listAll<DoAction>(`/droplets/${droplet.id}/actions`, 'actions', {
          signal: ctx.signal,
          action: `read the actions of droplet ${droplet.id}`,
        })
      ).find((a) => a.type === 'create');
      if (createAction?.status === 'in-progress') {
        const done = await this.waitAction(`/actions/${createAction.id}`, ctx, droplet.id);
        if (done.status === 'errored') await this.discardBroken(droplet.id, createAction.id, ctx);
      } else if (createAction?.status === 'errored') {
        await this.discardBroken(droplet.id, createAction.id, ctx);
      }
    } else {
      const tags = labelsToTags({ ...spec.labels, [OWNER_LABELS.machineId]: spec.machineId });
      const sshKeys = await this.ensureSshKeys(spec.sshAuthorizedKeys, ctx);
      const created = await this.api.call<{
        droplet: DoDroplet;
        links?: { actions?: Array<{ id: number; rel: string; href?: string }> };
      }>('POST', '/droplets', {
        signal: ctx.signal,
        action: `create droplet ${spec.name}`,
        body: {
          name: spec.name,
          region: spec.location,
          size: spec.size ?? (await this.sizeFor(spec.location, spec.sizing, 0, ctx)),
          image: /^\d+$/.test(spec.image) ? Number(spec.image) : spec.image,
          ssh_keys: sshKeys,
          backups: false,
          ipv6: false,
          monitoring: false,
          tags,
          user_data: buildCloudConfig(spec),
        },
      });
      droplet = created.droplet;
      const link = created.links?.actions?.find((a) => a.rel === 'create') ?? created.links?.actions?.[0];
      if (link) {
        const done = await this.waitAction(link.href ?? `/actions/${link.id}`, ctx, droplet.id);
        if (done.status === 'errored') await this.discardBroken(droplet.id, link.id, ctx);
      }
    }
    const active = await this.ensureRunning(droplet.id, ctx);
    const address = publicAddress(active) as string;
    return {
      ...toDriverMachine(active),
      address,
      sshPort: 22,
      sshUser: 'root',
      sshHostKey: publicKeyLine(spec.hostKey.publicKey),
      fsRoot: '/',
      activation: this.activation,
    };
  }

  async get(providerId: string, ctx: DriverCallContext): Promise<DriverMachine | undefined> {
    const droplet = await this.droplet(providerId, ctx);
    return droplet === undefined ? undefined : toDriverMachine(droplet);
  }

  async listByLabels(labels: Record<string, string>, ctx: DriverCallContext): Promise<DriverMachine[]> {
    const entries = Object.entries(labels);
    // The server filters on one tag (the machine id when asked: the most selective); the rest here.
    const first =
      entries.find(([key]) => key === OWNER_LABELS.machineId) ??
      (entries.length > 0 ? entries[0] : undefined);
    const droplets = first
      ? await this.dropletsTagged(`${first[0]}:${first[1]}`, ctx)
      : await this.api.listAll<DoDroplet>('/droplets', 'droplets', {
          signal: ctx.signal,
          action: 'list droplets',
        });
    return droplets
      .filter((d) => {
        const have = tagsToLabels(d.tags);
        return entries.every(([key, value]) => have[key] === value);
      })
      .map(toDriverMachine);
  }

  async start(providerId: string, ctx: DriverCallContext): Promise<void> {
    const droplet = await this.requireDroplet(providerId, ctx);
    await this.ensureRunning(droplet.id, ctx);
  }

  async stop(providerId: string, ctx: DriverCallContext): Promise<void> {
    const droplet = await this.requireDroplet(providerId, ctx);
    if (droplet.status === 'off') return;
    // power_off is the forced stop; `shutdown` is best effort and may leave the droplet on.
    await this.runAction(droplet.id, { type: 'power_off' }, ctx);
    await this.waitStatus(droplet.id, 'off', ctx);
  }

  async reboot(providerId: string, ctx: DriverCallContext): Promise<void> {
    const droplet = await this.requireDroplet(providerId, ctx);
    await this.runAction(droplet.id, { type: droplet.status === 'off' ? 'power_on' : 'reboot' }, ctx);
    await this.waitRunning(droplet.id, ctx);
  }

  async resize(
    providerId: string,
    sizing: MachineSizing & { size?: string },
    ctx: DriverCallContext,
  ): Promise<void> {
    const droplet = await this.requireDroplet(providerId, ctx);
    const target = sizing.size ?? (await this.sizeFor(droplet.region.slug, sizing, droplet.disk, ctx));
    if (target !== droplet.size_slug || droplet.disk < sizing.diskGiB) {
      if (droplet.status !== 'off') {
        await this.runAction(droplet.id, { type: 'power_off' }, ctx);
        await this.waitStatus(droplet.id, 'off', ctx);
      }
      // disk: true makes the resize permanent (disk grown too): what "grows the machine" asks.
      await this.runAction(droplet.id, { type: 'resize', size: target, disk: true }, ctx);
    }
    // Always ends running: a retried resize after a power_off that succeeded must not leave it off.
    await this.ensureRunning(droplet.id, ctx);
  }

  async delete(providerId: string, ctx: DriverCallContext): Promise<boolean> {
    if (!/^\d+$/.test(providerId)) return false;
    const { status } = await this.api.exchange('DELETE', `/droplets/${providerId}`, {
      signal: ctx.signal,
      action: `delete droplet ${providerId}`,
      allowNotFound: true,
    });
    if (status === 404) return false;
    // 204: gone from the API's point of view; wait until it is no longer served, should that lag.
    await this.poll(
      ctx,
      `droplet ${providerId} to disappear`,
      async () => !(await this.exists(providerId, ctx)),
    );
    return true;
  }

  // --- internals --------------------------------------------------------------------------------

  private async regions(ctx: DriverCallContext): Promise<DoRegion[]> {
    return this.api.listAll<DoRegion>('/regions', 'regions', { signal: ctx.signal, action: 'list regions' });
  }

  private dropletsTagged(tag: string, ctx: DriverCallContext): Promise<DoDroplet[]> {
    return this.api.listAll<DoDroplet>(`/droplets?tag_name=${encodeURIComponent(tag)}`, 'droplets', {
      signal: ctx.signal,
      action: `list droplets tagged ${tag}`,
    });
  }

  private async droplet(providerId: string, ctx: DriverCallContext): Promise<DoDroplet | undefined> {
    if (!/^\d+$/.test(providerId)) return undefined;
    const body = await this.api.call<{ droplet: DoDroplet }>('GET', `/droplets/${providerId}`, {
      signal: ctx.signal,
      action: `read droplet ${providerId}`,
      allowNotFound: true,
    });
    return body?.droplet;
  }

  private async exists(providerId: string, ctx: DriverCallContext): Promise<boolean> {
    return (await this.droplet(providerId, ctx)) !== undefined;
  }

  private async requireDroplet(providerId: string, ctx: DriverCallContext): Promise<DoDroplet> {
    const droplet = await this.droplet(providerId, ctx);
    if (droplet === undefined) {
      throw new ProviderError(
        'digitalocean',
        { status: 404, code: 'not_found', message: `Droplet ${providerId} does not exist`, retryable: false },
        { action: `find droplet ${providerId}` },
      );
    }
    return droplet;
  }

  /** The platform's keys as account SSH keys (found by fingerprint, else added): their ids. */
  private async ensureSshKeys(lines: readonly string[], ctx: DriverCallContext): Promise<number[]> {
    const ids: number[] = [];
    for (const line of lines) {
      const publicKey = line.trim();
      const fingerprint = sshFingerprint(publicKey);
      const byFingerprint = async (): Promise<number | undefined> =>
        fingerprint === undefined
          ? undefined
          : (
              await this.api.call<{ ssh_key: { id: number } }>('GET', `/account/keys/${fingerprint}`, {
                signal: ctx.signal,
                action: `find SSH key ${fingerprint}`,
                allowNotFound: true,
              })
            )?.ssh_key.id;
      let id = await byFingerprint();
      if (id === undefined) {
        try {
          const created = await this.api.call<{ ssh_key: { id: number } }>('POST', '/account/keys', {
            signal: ctx.signal,
            action: 'add the platform SSH key',
            body: {
              name: `fedops-${(fingerprint ?? 'key').replace(/:/g, '').slice(0, 12)}`,
              public_key: publicKey,
            },
          });
          id = created.ssh_key.id;
        } catch (err) {
          // Added by a concurrent create meanwhile: "SSH Key is already in use on your account".
          if (!(
            err instanceof ProviderError &&
            err.refusal.status === 422 &&
            /already in use/i.test(err.refusal.message)
          )) {
            throw err;
          }
          id = await byFingerprint();
          if (id === undefined) throw err;
        }
      }
      ids.push(id);
    }
    return ids;
  }

  private async sizeFor(
    region: string,
    sizing: MachineSizing,
    currentDisk: number,
    ctx: DriverCallContext,
  ): Promise<string> {
    const sizes = await this.api.listAll<DoSize>('/sizes', 'sizes', {
      signal: ctx.signal,
      action: 'list sizes',
    });
    const size = smallestFittingSize(sizes, region, sizing, currentDisk);
    if (!size) {
      throw new ProviderError(
        'digitalocean',
        {
          code: 'no_size',
          message: `No size in ${region} has ${sizing.vcpus} vCPUs, ${sizing.memoryMiB} MiB and ${Math.max(sizing.diskGiB, currentDisk)} GiB`,
          retryable: false,
        },
        { action: 'choose a droplet size' },
      );
    }
    return size.slug;
  }

  /** A droplet whose create errored is useless: delete it, and fail retryably so the next attempt makes one. */
  private async discardBroken(dropletId: number, actionId: number, ctx: DriverCallContext): Promise<never> {
    await this.api.call('DELETE', `/droplets/${dropletId}`, {
      signal: ctx.signal,
      action: `delete broken droplet ${dropletId}`,
      allowNotFound: true,
    });
    throw new ProviderError(
      'digitalocean',
      {
        code: 'errored',
        message: `The create action ${actionId} of droplet ${dropletId} errored; the droplet was deleted`,
        retryable: true,
      },
      { action: `create droplet ${dropletId}` },
    );
  }

  /** Posts a droplet action and waits for it; an errored action is a retryable refusal. */
  private async runAction(
    dropletId: number,
    body: Record<string, unknown>,
    ctx: DriverCallContext,
  ): Promise<void> {
    const type = String(body['type']);
    const { action } = await this.api.call<{ action: DoAction }>('POST', `/droplets/${dropletId}/actions`, {
      signal: ctx.signal,
      action: `${type} droplet ${dropletId}`,
      body,
    });
    const done = await this.waitAction(`/droplets/${dropletId}/actions/${action.id}`, ctx, dropletId);
    if (done.status === 'errored') {
      throw new ProviderError(
        'digitalocean',
        {
          code: 'errored',
          message: `The ${type} action ${action.id} of droplet ${dropletId} errored`,
          retryable: true,
        },
        { action: `${type} droplet ${dropletId}` },
      );
    }
  }

  private async waitAction(pathOrHref: string, ctx: DriverCallContext, dropletId: number): Promise<DoAction> {
    let last: DoAction | undefined;
    await this.poll(ctx, `action ${pathOrHref} of droplet ${dropletId}`, async () => {
      const { action } = await this.api.call<{ action: DoAction }>('GET', pathOrHref, {
        signal: ctx.signal,
        action: `follow action ${pathOrHref}`,
      });
      last = action;
      ctx.heartbeat({ dropletId, actionId: action.id, type: action.type, status: action.status });
      return action.status !== 'in-progress';
    });
    return last as DoAction;
  }

  /** Powers the droplet on if it is off, then waits until it runs. */
  private async ensureRunning(dropletId: number, ctx: DriverCallContext): Promise<DoDroplet> {
    const droplet = await this.requireDroplet(String(dropletId), ctx);
    if (droplet.status === 'active' && publicAddress(droplet) !== undefined) return droplet;
    if (droplet.status === 'off' && !droplet.locked)
      await this.runAction(dropletId, { type: 'power_on' }, ctx);
    return this.waitRunning(dropletId, ctx);
  }

  /** Waits until the droplet is active with a public IPv4 address (status may lag its action). */
  private async waitRunning(dropletId: number, ctx: DriverCallContext): Promise<DoDroplet> {
    return this.waitStatus(dropletId, 'active', ctx, (d) => publicAddress(d) !== undefined);
  }

  private async waitStatus(
    dropletId: number,
    status: string,
    ctx: DriverCallContext,
    also: (d: DoDroplet) => boolean = () => true,
  ): Promise<DoDroplet> {
    let last: DoDroplet | undefined;
    await this.poll(ctx, `droplet ${dropletId} to be ${status}`, async () => {
      const droplet = await this.droplet(String(dropletId), ctx);
      if (droplet === undefined) {
        throw new ProviderError(
          'digitalocean',
          { status: 404, code: 'not_found', message: `Droplet ${dropletId} disappeared`, retryable: true },
          { action: `wait for droplet ${dropletId}` },
        );
      }
      last = droplet;
      ctx.heartbeat({ dropletId, status: droplet.status });
      return droplet.status === status && also(droplet);
    });
    return last as DoDroplet;
  }

  /** Polls `done` every pollIntervalMs until it holds; cancellation ends it at once, a long wait retryably. */
  private async poll(ctx: DriverCallContext, what: string, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + this.waitTimeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) {
        throw new ProviderError(
          'digitalocean',
          {
            code: 'timeout',
            message: `Gave up waiting for ${what} after ${this.waitTimeoutMs} ms`,
            retryable: true,
          },
          { action: `wait for ${what}` },
        );
      }
      try {
        await delay(this.pollIntervalMs, undefined, { signal: ctx.signal });
      } catch (err) {
        ctx.signal.throwIfAborted();
        throw err;
      }
    }
  }
}
