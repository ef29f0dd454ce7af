import { access, constants, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { FedopsError, FedopsErrorCode, type FieldError } from '@fedops/domain';
import { BatchRunner, type Settled } from './batch-runner';
import { withFileLock } from './file-lock';
import { hostLayout, labelLockFile, ROOT_SUBDIRS, type HostLayout } from './host-layout';
import { KeyedMutex } from './mutex';
import { hostName, validateLabel, validatePrefix } from './names';
import {
  claimHostSide,
  configureNetwork,
  deleteNetwork,
  hostInterfaceAddresses,
  listNamespaces,
  namespacePids,
} from './netns';
import { CommandFailedError, run } from './run';
import type {
  HostIdentity,
  ListedSandboxHost,
  SandboxHost,
  SandboxHostManagerOptions,
} from './sandbox-host.types';
import { buildSshdCommand, SSH_PORT, SSHD_PATH } from './sshd-args';
import { probeSshBanner, waitForSsh } from './ssh-probe';
import {
  normalizePublicKey,
  renderAuthorizedKeys,
  validatePrivateKeyBlock,
  validatePublicKeyLine,
} from './ssh-keys';
import type { HostEntry, HostRecord, HostReservation } from './state-file';
import { isNotFound, StateStore } from './state-store';
import {
  allocateBlock,
  blockOfAddress,
  formatSubnet,
  parseSubnet,
  rangeOfInterfaceAddress,
  type HostBlock,
  type Ipv4Subnet,
} from './subnet';

export const DEFAULT_SANDBOX_SUBNET = '10.213.0.0/16';
const DEFAULT_NETWORK_LOCK = '/run/lock/fedops-sandbox-host.lock';

/**
 * Creates, repairs and destroys sandbox machines (see ARCHITECTURE.md "Machines"), recorded in
 * `<stateDir>/state.json`.
 *
 * Locking, always taken in this order:
 * - per label: an in-process mutex plus a lock file in `<stateDir>/locks/`, held for the whole
 *   ensureHost/destroyHost of that label, so one label is never worked on twice at once, in this
 *   process or another. flock dies with its holder, so whoever gets a label's lock and finds a
 *   `creating` reservation knows its creator crashed, and completes (or destroys) it.
 * - `<stateDir>/state.lock`, held only to read the state and write a change (a reservation, the
 *   finished entry, a removal). Callers arriving while it is busy are served together in one round.
 * - the machine-wide network lock, held only to allocate addresses and put them on host-side veths,
 *   so processes with other state dirs sharing the subnet see them.
 * The slow part (namespace setup, host key, sshd, waiting for SSH) runs under the label lock only, so
 * different labels are created in parallel. sshd daemonises, so hosts outlive the Node process;
 * `ensureHost` repairs them after a crash or reboot.
 *
 * Identity: a host's authorized_keys holds the manager's `authorizedKeys`, or the keys of the
 * `HostIdentity` it was created with (recorded in its state entry); its host key is generated, or the
 * identity's private key. Both are fixed when the host is created: `ensureHost` on an existing label
 * returns that host as it is, whatever identity it is passed (only a reservation left by a crashed
 * creation takes the identity of the call that completes it).
 */
export class SandboxHostManager {
  private readonly stateDir: string;
  private readonly namePrefix: string;
  private readonly subnet: Ipv4Subnet;
  /** The manager-wide authorized_keys lines (maybe none). */
  private readonly authorizedKeys: readonly string[];
  private readonly sshdStartTimeoutMs: number;
  private readonly sshdPath: string | undefined;
  private readonly lockTimeoutMs: number;
  private readonly networkLockFile: string;
  private readonly store: StateStore;
  private readonly labels = new KeyedMutex();
  private readonly reservations = new BatchRunner<string, HostEntry>((labels) => this.reserveRound(labels));
  private readonly commits = new BatchRunner<StateChange, void>((changes) => this.commitRound(changes));

  constructor(options: SandboxHostManagerOptions) {
    const fields: FieldError[] = [];
    if (!isAbsolute(options.stateDir) || /[\s"'\\]/.test(options.stateDir)) {
      fields.push({ field: 'stateDir', message: 'must be an absolute path without whitespace or quotes' });
    }
    if (
      options.sshdPath !== undefined &&
      (!isAbsolute(options.sshdPath) || /[\s"'\\]/.test(options.sshdPath))
    ) {
      fields.push({ field: 'sshdPath', message: 'must be an absolute path without whitespace or quotes' });
    }
    const prefixProblem = validatePrefix(options.namePrefix);
    if (prefixProblem) fields.push({ field: 'namePrefix', message: prefixProblem });
    let subnet: Ipv4Subnet | undefined;
    try {
      subnet = parseSubnet(options.subnet ?? DEFAULT_SANDBOX_SUBNET);
    } catch (err) {
      fields.push({ field: 'subnet', message: err instanceof Error ? err.message : String(err) });
    }
    options.authorizedKeys.forEach((key, i) => {
      const problem = validatePublicKeyLine(key);
      if (problem) fields.push({ field: `authorizedKeys[${i}]`, message: problem });
    });
    if (fields.length > 0 || !subnet) {
      throw new FedopsError(
        FedopsErrorCode.ConfigurationInvalid,
        `Invalid sandbox host options: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`,
        { fields },
      );
    }
    this.stateDir = resolve(options.stateDir);
    this.namePrefix = options.namePrefix;
    this.subnet = subnet;
    this.authorizedKeys = [...options.authorizedKeys];
    this.sshdStartTimeoutMs = options.sshdStartTimeoutMs ?? 15_000;
    this.sshdPath = options.sshdPath;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 120_000;
    this.networkLockFile = options.networkLockFile ?? DEFAULT_NETWORK_LOCK;
    this.store = new StateStore(this.stateDir, formatSubnet(subnet), this.namePrefix);
  }

  /**
   * Returns the host for `label`, creating it or repairing it (network, host key, sshd) as needed.
   * `identity` applies only when the host is created (see the class comment): an existing host keeps
   * its recorded authorized keys and host key. Without an identity (or with no keys in it) the
   * manager's `authorizedKeys` apply: when those are empty, creating a host (or repairing one recorded
   * without keys of its own) needs an identity with keys, else a validation error.
   */
  async ensureHost(label: string, identity?: HostIdentity): Promise<SandboxHost> {
    this.checkLabel(label);
    const wanted = this.checkIdentity(identity);
    return this.forLabel(label, async () => {
      // Holding the label's lock, nobody else changes this label's entry: no state lock needed to read it.
      const existing = (await this.store.read()).hosts.find((host) => host.label === label);
      const hasOwnKeys = existing?.status === 'ready' && existing.authorizedKeys !== undefined;
      if (!hasOwnKeys && !wanted.authorizedKeys && this.authorizedKeys.length === 0) {
        throw FedopsError.validation([
          {
            field: 'identity.authorizedKeys',
            message: 'must hold at least one public key line (the manager has no authorizedKeys)',
          },
        ]);
      }
      if (existing) return this.toHost(await this.repair(existing, wanted));
      const entry = await this.reservations.submit(label);
      const record =
        entry.status === 'creating' ? await this.build(entry, wanted) : await this.repair(entry, wanted);
      return this.toHost(record);
    });
  }

  /**
   * Stops the sshd of the recorded host of `label` (its namespace, address and files stay), so the
   * machine looks switched off; `ensureHost` starts it again. False when no host is recorded.
   */
  async stopSshd(label: string): Promise<boolean> {
    this.checkLabel(label);
    return this.forLabel(label, async () => {
      const record = (await this.store.read()).hosts.find((host) => host.label === label);
      if (!record) return false;
      await this.killSshd(record.name, hostLayout(this.stateDir, record.name));
      return true;
    });
  }

  /**
   * Checks this manager can work: the state dir can be created, locked and written, its state file is
   * valid for this subnet and prefix, and sshd is executable. Throws naming what is wrong.
   */
  async checkUsable(): Promise<{ stateDir: string; hosts: number }> {
    const state = await this.withStateLock(async () => {
      await access(this.stateDir, constants.W_OK);
      return this.store.read();
    });
    await access(this.sshdPath ?? SSHD_PATH, constants.X_OK).catch((err: unknown) => {
      throw new Error(`sshd ${this.sshdPath ?? SSHD_PATH} is not executable`, { cause: err });
    });
    return { stateDir: this.stateDir, hosts: state.hosts.length };
  }

  /** Whether the sshd of `label`'s host is running (its pid file names a process in its namespace). */
  async isSshdRunning(label: string): Promise<boolean> {
    const record = (await this.store.read()).hosts.find((host) => host.label === label);
    if (!record) return false;
    const pid = await readPid(hostLayout(this.stateDir, record.name).pidFile);
    return pid !== undefined && (await namespacePids(record.name)).includes(pid);
  }

  /** The recorded host for `label`, without checking or repairing it; undefined while it is being created. */
  async findHost(label: string): Promise<SandboxHost | undefined> {
    const state = await this.store.read();
    const record = state.hosts.find((host) => host.label === label);
    return record?.status === 'ready' ? this.toHost(record) : undefined;
  }

  /** Every recorded host (not those being created), with whether its namespace exists right now. */
  async listHosts(): Promise<ListedSandboxHost[]> {
    const [state, namespaces] = await Promise.all([this.store.read(), listNamespaces()]);
    const present = new Set(namespaces);
    return state.hosts
      .filter((record): record is HostRecord => record.status === 'ready')
      .map((record) => ({ ...this.toHost(record), namespacePresent: present.has(record.name) }));
  }

  /**
   * Kills every process in the host's namespace, deletes its veth pair and namespace, its folder
   * (root folder included) and its state entry, also a reservation left by a crashed creation, and
   * leftovers of a creation that crashed before anything was recorded. Returns false when nothing existed.
   */
  async destroyHost(label: string): Promise<boolean> {
    this.checkLabel(label);
    return this.forLabel(label, async () => {
      const state = await this.store.read();
      const record = state.hosts.find((host) => host.label === label);
      const name = record?.name ?? hostName(this.namePrefix, this.stateDir, label);
      // Without a record, the derived name may belong to another label after a hash collision: keep it.
      if (!record && state.hosts.some((host) => host.name === name)) return false;
      // The entry goes last: until the veth is gone its address must stay reserved.
      const removed = await this.removeHostResources(name);
      if (record) await this.commits.submit({ label, name, entry: undefined });
      return removed || record !== undefined;
    });
  }

  /** Destroys every recorded host, reservations included (test cleanup). Returns the labels destroyed. */
  async destroyAll(): Promise<string[]> {
    const state = await this.store.read();
    const outcomes = await Promise.allSettled(state.hosts.map((record) => this.destroyHost(record.label)));
    const failed = outcomes.find(
      (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected',
    );
    if (failed) throw new Error('Could not destroy every sandbox host', { cause: failed.reason });
    return state.hosts
      .filter((_, i) => {
        const outcome = outcomes[i];
        return outcome?.status === 'fulfilled' && outcome.value;
      })
      .map((record) => record.label);
  }

  private checkLabel(label: string): void {
    const problem = validateLabel(label);
    if (problem) throw FedopsError.validation([{ field: 'label', message: problem }]);
  }

  /** Validates an identity (never echoing the private key); its keys are undefined when none are given. */
  private checkIdentity(identity: HostIdentity | undefined): WantedIdentity {
    const fields: FieldError[] = [];
    const keys = identity?.authorizedKeys ?? [];
    keys.forEach((key, i) => {
      const problem = validatePublicKeyLine(key);
      if (problem) fields.push({ field: `identity.authorizedKeys[${i}]`, message: problem });
    });
    const privateKey = identity?.hostPrivateKey;
    if (privateKey !== undefined) {
      const problem = validatePrivateKeyBlock(privateKey);
      if (problem) fields.push({ field: 'identity.hostPrivateKey', message: problem });
    }
    if (fields.length > 0) throw FedopsError.validation(fields);
    return {
      ...(keys.length > 0 ? { authorizedKeys: keys.map((key) => key.trim()) } : {}),
      ...(privateKey === undefined ? {} : { hostPrivateKey: privateKey }),
    };
  }

  /** The authorized_keys lines an entry's host gets: its recorded ones, else the manager's. */
  private keysFor(entry: HostEntry, wanted: WantedIdentity): { own?: string[]; lines: readonly string[] } {
    const recorded = entry.status === 'ready' ? entry.authorizedKeys : undefined;
    // A reservation takes the completing call's identity; so does an entry recorded without keys of its
    // own when the manager has none to give it (checkIdentity made sure the call brings some then).
    const own =
      recorded ??
      (entry.status === 'creating' || this.authorizedKeys.length === 0 ? wanted.authorizedKeys : undefined);
    return own ? { own, lines: own } : { lines: this.authorizedKeys };
  }

  private forLabel<T>(label: string, task: () => Promise<T>): Promise<T> {
    return this.labels.runExclusive(label, () =>
      withFileLock(labelLockFile(this.stateDir, label), this.lockTimeoutMs, task),
    );
  }

  private withStateLock<T>(task: () => Promise<T>): Promise<T> {
    return withFileLock(join(this.stateDir, 'state.lock'), this.lockTimeoutMs, task);
  }

  private withNetworkLock<T>(task: () => Promise<T>): Promise<T> {
    return withFileLock(this.networkLockFile, this.lockTimeoutMs, task);
  }

  private toHost(record: HostRecord): SandboxHost {
    const block = blockOfAddress(this.subnet, record.address);
    return {
      label: record.label,
      name: record.name,
      address: record.address,
      hostAddress: block.hostAddress,
      sshPort: SSH_PORT,
      sshUser: 'root',
      hostKey: record.hostKey,
      rootDir: hostLayout(this.stateDir, record.name).rootDir,
      createdAt: record.createdAt,
    };
  }

  /**
   * One round of reservations (callers hold their labels' locks): under the state lock, picks a name
   * for each label, removes what a crashed creation left under that name, then under the network lock
   * allocates addresses, records `creating` entries and claims the addresses on host-side veths.
   * A label that already has an entry gets that entry back.
   */
  private async reserveRound(labels: readonly string[]): Promise<Array<Settled<HostEntry>>> {
    return this.withStateLock(async () => {
      const state = await this.store.read();
      const outcomes: Array<Settled<HostEntry>> = [];
      const names = new Set(state.hosts.map((host) => host.name));
      const wanted: Array<{ index: number; label: string; name: string }> = [];
      labels.forEach((label, index) => {
        const existing = state.hosts.find((host) => host.label === label);
        if (existing) {
          outcomes[index] = { ok: true, value: existing };
          return;
        }
        let attempt = 0;
        let name = hostName(this.namePrefix, this.stateDir, label);
        while (names.has(name)) name = hostName(this.namePrefix, this.stateDir, label, ++attempt);
        names.add(name);
        wanted.push({ index, label, name });
      });
      if (wanted.length === 0) return outcomes;

      // A namespace or folder with this name but no state entry is what a crashed creation left behind.
      const namespaces = new Set(await listNamespaces());
      for (const { name } of wanted) {
        if (namespaces.has(name) || (await pathExists(hostLayout(this.stateDir, name).hostDir))) {
          await this.removeHostResources(name);
        }
      }

      await this.withNetworkLock(async () => {
        const used = new Set(state.hosts.map((host) => blockOfAddress(this.subnet, host.address).index));
        // Addresses configured on the host by anything else (another state dir sharing the subnet).
        const taken = (await hostInterfaceAddresses()).map((a) =>
          rangeOfInterfaceAddress(a.local, a.prefixLength),
        );
        const reserved: Array<{ index: number; entry: HostReservation; block: HostBlock }> = [];
        const createdAt = new Date().toISOString();
        for (const { index, label, name } of wanted) {
          const block = allocateBlock(this.subnet, used, taken);
          if (!block) {
            outcomes[index] = {
              ok: false,
              error: new FedopsError(
                FedopsErrorCode.ProviderFailed,
                `No free /30 left in sandbox subnet ${formatSubnet(this.subnet)}`,
              ),
            };
            continue;
          }
          used.add(block.index);
          reserved.push({
            index,
            block,
            entry: { label, name, address: block.address, createdAt, status: 'creating' },
          });
        }
        if (reserved.length === 0) return;
        await this.store.write({ ...state, hosts: [...state.hosts, ...reserved.map((r) => r.entry)] });

        const claims = await Promise.allSettled(
          reserved.map((r) => claimHostSide(r.entry.name, r.block, { namespace: false, link: false })),
        );
        const failed = new Set<string>();
        claims.forEach((claim, i) => {
          const r = reserved[i];
          if (!r) return;
          if (claim.status === 'fulfilled') outcomes[r.index] = { ok: true, value: r.entry };
          else {
            failed.add(r.entry.label);
            outcomes[r.index] = {
              ok: false,
              error: new Error(
                `Cannot set up the network of sandbox host ${r.entry.name} (${r.entry.label})`,
                {
                  cause: claim.reason,
                },
              ),
            };
          }
        });
        if (failed.size > 0) {
          for (const r of reserved) {
            if (failed.has(r.entry.label))
              await this.removeHostResources(r.entry.name).catch(() => undefined);
          }
          const kept = reserved.filter((r) => !failed.has(r.entry.label)).map((r) => r.entry);
          await this.store.write({ ...state, hosts: [...state.hosts, ...kept] });
        }
      });
      return outcomes;
    });
  }

  /** Applies a round of changes to this manager's entries in one state file write. */
  private async commitRound(changes: readonly StateChange[]): Promise<Array<Settled<void>>> {
    return this.withStateLock(async () => {
      const state = await this.store.read();
      let hosts = state.hosts;
      const outcomes = changes.map((change): Settled<void> => {
        const current = hosts.find((host) => host.label === change.label && host.name === change.name);
        if (change.entry === undefined) {
          hosts = hosts.filter((host) => host !== current);
          return { ok: true, value: undefined };
        }
        if (!current) {
          return {
            ok: false,
            error: new Error(
              `Sandbox host ${change.name} (${change.label}) is no longer recorded in ${this.store.path}`,
            ),
          };
        }
        const entry = change.entry;
        hosts = hosts.map((host) => (host === current ? entry : host));
        return { ok: true, value: undefined };
      });
      await this.store.write({ ...state, hosts });
      return outcomes;
    });
  }

  /** Creates the host of a fresh reservation (its host-side veth exists); removes everything on failure. */
  private async build(reservation: HostReservation, wanted: WantedIdentity): Promise<HostRecord> {
    const { label, name } = reservation;
    const block = blockOfAddress(this.subnet, reservation.address);
    const layout = hostLayout(this.stateDir, name);
    const keys = this.keysFor(reservation, wanted);
    try {
      const [network, identity] = await Promise.allSettled([
        configureNetwork(name, block),
        (async () => {
          await this.prepareFolders(layout);
          const key = await this.makeHostKey(layout, wanted.hostPrivateKey);
          await writeFile(layout.authorizedKeysFile, renderAuthorizedKeys(keys.lines), { mode: 0o600 });
          return key;
        })(),
      ]);
      if (network.status === 'rejected') throw network.reason;
      if (identity.status === 'rejected') throw identity.reason;
      await this.startSshd(name, label, block, layout);
      const record: HostRecord = {
        ...reservation,
        status: 'ready',
        hostKey: identity.value,
        ...(keys.own ? { authorizedKeys: keys.own } : {}),
      };
      await this.commits.submit({ label, name, entry: record });
      return record;
    } catch (err) {
      await this.removeHostResources(name).catch(() => undefined);
      await this.commits.submit({ label, name, entry: undefined }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Brings an existing entry back to a working host: a ready host whose sshd died or whose network
   * vanished (reboot), or a reservation whose creator crashed. A ready host keeps its identity; a
   * reservation gets `wanted`.
   */
  private async repair(entry: HostEntry, wanted: WantedIdentity): Promise<HostRecord> {
    const block = blockOfAddress(this.subnet, entry.address);
    const layout = hostLayout(this.stateDir, entry.name);
    const ownsAddress = (addresses: Array<{ ifname: string; local: string }>): boolean =>
      addresses.some((a) => a.local === block.hostAddress && a.ifname === entry.name);
    if (ownsAddress(await hostInterfaceAddresses())) {
      await claimHostSide(entry.name, block);
    } else {
      // The address left the host (reboot, or a creation that crashed before claiming it): claim it again.
      await this.withNetworkLock(async () => {
        const addresses = await hostInterfaceAddresses();
        const clash = addresses.find((a) => a.local === block.hostAddress && a.ifname !== entry.name);
        if (clash) {
          throw new FedopsError(
            FedopsErrorCode.Conflict,
            `Sandbox host ${entry.name} (${entry.label}) cannot be repaired: ${block.hostAddress} is now on ${clash.ifname}`,
          );
        }
        await claimHostSide(entry.name, block);
      });
    }
    await configureNetwork(entry.name, block);
    await this.prepareFolders(layout);

    let hostKey: string | undefined;
    try {
      hostKey = normalizePublicKey(await readFile(layout.hostPublicKeyFile, 'utf8'));
      await readFile(layout.hostKeyFile);
    } catch (err) {
      if (!isNotFound(err))
        throw new Error(`Cannot read host key of sandbox host ${entry.name}`, { cause: err });
      hostKey = undefined;
    }
    let restart = false;
    const previousKey = hostKey;
    if (hostKey === undefined || (entry.status === 'creating' && wanted.hostPrivateKey !== undefined)) {
      // The key is gone (folder deleted): the given key if any, else a new one, which callers pin from
      // what ensureHost returns. A crashed creation's key is replaced by the one now asked for.
      hostKey = await this.makeHostKey(layout, wanted.hostPrivateKey);
      restart = hostKey !== previousKey;
    }
    const keys = this.keysFor(entry, wanted);
    const authorizedKeys = renderAuthorizedKeys(keys.lines);
    const currentKeys = await readFile(layout.authorizedKeysFile, 'utf8').catch(() => '');
    if (currentKeys !== authorizedKeys) {
      await writeFile(layout.authorizedKeysFile, authorizedKeys, { mode: 0o600 });
    }

    if (restart || !(await probeSshBanner(entry.address, SSH_PORT, 1500))) {
      await this.killSshd(entry.name, layout);
      await this.startSshd(entry.name, entry.label, block, layout);
    }
    const recordedKeys = entry.status === 'ready' ? entry.authorizedKeys : undefined;
    if (entry.status === 'ready' && hostKey === entry.hostKey && keys.own === recordedKeys) return entry;
    const updated: HostRecord = {
      label: entry.label,
      name: entry.name,
      address: entry.address,
      createdAt: entry.createdAt,
      status: 'ready',
      hostKey,
      ...(keys.own ? { authorizedKeys: keys.own } : {}),
    };
    await this.commits.submit({ label: entry.label, name: entry.name, entry: updated });
    return updated;
  }

  private async prepareFolders(layout: HostLayout): Promise<void> {
    await mkdir(layout.hostDir, { recursive: true, mode: 0o700 });
    for (const sub of ROOT_SUBDIRS) await mkdir(join(layout.rootDir, sub), { recursive: true });
  }

  /** Installs `privateKey` as the host key, or generates one; returns the normalised public line. */
  private async makeHostKey(layout: HostLayout, privateKey: string | undefined): Promise<string> {
    await rm(layout.hostKeyFile, { force: true });
    await rm(layout.hostPublicKeyFile, { force: true });
    if (privateKey !== undefined) {
      await writeFile(layout.hostKeyFile, `${privateKey.trim()}\n`, { mode: 0o600 });
      const { stdout } = await run('ssh-keygen', ['-y', '-f', layout.hostKeyFile]);
      const publicKey = normalizePublicKey(stdout);
      await writeFile(layout.hostPublicKeyFile, `${publicKey}\n`, { mode: 0o644 });
      return publicKey;
    }
    await run('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'fedops-sandbox',
      '-f',
      layout.hostKeyFile,
    ]);
    return normalizePublicKey(await readFile(layout.hostPublicKeyFile, 'utf8'));
  }

  private async startSshd(name: string, label: string, block: HostBlock, layout: HostLayout): Promise<void> {
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    const { command, args } = buildSshdCommand({
      namespace: name,
      listenAddress: block.address,
      hostKeyFile: layout.hostKeyFile,
      authorizedKeysFile: layout.authorizedKeysFile,
      pidFile: layout.pidFile,
      logFile: layout.logFile,
      rootDir: layout.rootDir,
      ...(this.sshdPath === undefined ? {} : { sshdPath: this.sshdPath }),
    });
    const what = `sshd of sandbox host ${name} (${label}) on ${block.address}:${SSH_PORT}`;
    try {
      await run(command, args, { timeoutMs: this.sshdStartTimeoutMs });
    } catch (err) {
      // sshd reports bad options and unusable keys on stderr before it opens its log.
      const stderr =
        err instanceof CommandFailedError ? err.stderr.trim().split('\n').slice(-3).join(' | ') : '';
      throw new FedopsError(
        FedopsErrorCode.ProviderFailed,
        `${what} failed to start${stderr ? `: ${stderr}` : ''}; log tail: ${await logTail(layout.logFile)}`,
        {
          cause: err,
        },
      );
    }
    if (!(await waitForSsh(block.address, SSH_PORT, this.sshdStartTimeoutMs))) {
      throw new FedopsError(
        FedopsErrorCode.ProviderFailed,
        `${what} did not accept SSH connections within ${this.sshdStartTimeoutMs} ms; log tail: ${await logTail(layout.logFile)}`,
      );
    }
  }

  /** Kills the sshd named by the pid file, but only if that process really is in the host's namespace. */
  private async killSshd(name: string, layout: HostLayout): Promise<void> {
    const pid = await readPid(layout.pidFile);
    if (pid === undefined || !(await namespacePids(name)).includes(pid)) return;
    killQuietly(pid);
    await waitUntil(async () => !(await namespacePids(name)).includes(pid), 10_000, `sshd ${pid} to exit`);
  }

  /** Kills all processes in the namespace, removes veth, namespace and folder. True if anything existed. */
  private async removeHostResources(name: string): Promise<boolean> {
    const namespaces = await listNamespaces();
    let removed = false;
    if (namespaces.includes(name)) {
      await waitUntil(
        async () => {
          const pids = await namespacePids(name);
          pids.forEach(killQuietly);
          return pids.length === 0;
        },
        15_000,
        `processes in namespace ${name} to exit`,
      );
    }
    if (await deleteNetwork(name)) removed = true;
    const layout = hostLayout(this.stateDir, name);
    if (await pathExists(layout.hostDir)) {
      await rm(layout.hostDir, { recursive: true, force: true });
      removed = true;
    }
    return removed;
  }
}

/** A validated identity: authorizedKeys only when the caller gave some. */
interface WantedIdentity {
  authorizedKeys?: string[];
  hostPrivateKey?: string;
}

async function readPid(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** A change to one entry: replace it by `entry`, or remove it when `entry` is undefined. */
interface StateChange {
  label: string;
  name: string;
  entry: HostRecord | undefined;
}

/** True unless stat says ENOENT (other errors count as existing, so we try to remove it). */
function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (err: unknown) => !isNotFound(err),
  );
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function waitUntil(check: () => Promise<boolean>, deadlineMs: number, what: string): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`Timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function logTail(file: string, lines = 15): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    const tail = text.trimEnd().split('\n').slice(-lines).join(' | ');
    return tail || '(empty)';
  } catch {
    return '(no log written)';
  }
}
