import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { FedopsError, FedopsErrorCode, type FieldError } from '@fedops/domain';
import { withFileLock } from './file-lock';
import { hostLayout, ROOT_SUBDIRS, type HostLayout } from './host-layout';
import { Mutex } from './mutex';
import { hostName, validateLabel, validatePrefix } from './names';
import { deleteNetwork, ensureNetwork, hostInterfaceAddresses, listNamespaces, namespacePids } from './netns';
import { run } from './run';
import type { ListedSandboxHost, SandboxHost, SandboxHostManagerOptions } from './sandbox-host.types';
import { buildSshdCommand, SSH_PORT } from './sshd-args';
import { probeSshBanner, waitForSsh } from './ssh-probe';
import { normalizePublicKey, renderAuthorizedKeys, validatePublicKeyLine } from './ssh-keys';
import type { HostRecord, SandboxState } from './state-file';
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
 * Creates, repairs and destroys sandbox machines (see ARCHITECTURE.md "Machines"). Every mutation
 * runs under an in-process mutex plus a lock file in stateDir, so concurrent calls in one process
 * and processes sharing a stateDir never race; allocations are recorded in `<stateDir>/state.json`.
 * sshd daemonises, so hosts outlive the Node process; `ensureHost` repairs them after a crash or reboot.
 */
export class SandboxHostManager {
  private readonly stateDir: string;
  private readonly namePrefix: string;
  private readonly subnet: Ipv4Subnet;
  private readonly authorizedKeys: string;
  private readonly sshdStartTimeoutMs: number;
  private readonly lockTimeoutMs: number;
  private readonly networkLockFile: string;
  private readonly store: StateStore;
  private readonly mutex = new Mutex();

  constructor(options: SandboxHostManagerOptions) {
    const fields: FieldError[] = [];
    if (!isAbsolute(options.stateDir) || /[\s"'\\]/.test(options.stateDir)) {
      fields.push({ field: 'stateDir', message: 'must be an absolute path without whitespace or quotes' });
    }
    const prefixProblem = validatePrefix(options.namePrefix);
    if (prefixProblem) fields.push({ field: 'namePrefix', message: prefixProblem });
    let subnet: Ipv4Subnet | undefined;
    try {
      subnet = parseSubnet(options.subnet ?? DEFAULT_SANDBOX_SUBNET);
    } catch (err) {
      fields.push({ field: 'subnet', message: err instanceof Error ? err.message : String(err) });
    }
    if (options.authorizedKeys.length === 0) {
      fields.push({ field: 'authorizedKeys', message: 'must hold at least one public key line' });
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
    this.authorizedKeys = renderAuthorizedKeys(options.authorizedKeys);
    this.sshdStartTimeoutMs = options.sshdStartTimeoutMs ?? 15_000;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 120_000;
    this.networkLockFile = options.networkLockFile ?? DEFAULT_NETWORK_LOCK;
    this.store = new StateStore(this.stateDir, formatSubnet(subnet), this.namePrefix);
  }

  /** Returns the host for `label`, creating it or repairing it (network, host key, sshd) as needed. */
  async ensureHost(label: string): Promise<SandboxHost> {
    this.checkLabel(label);
    return this.exclusive(async () => {
      const state = await this.store.read();
      const existing = state.hosts.find((host) => host.label === label);
      const record = existing ? await this.repair(state, existing) : await this.create(state, label);
      return this.toHost(record);
    });
  }

  /** The recorded host for `label`, without checking or repairing it. */
  async findHost(label: string): Promise<SandboxHost | undefined> {
    const state = await this.store.read();
    const record = state.hosts.find((host) => host.label === label);
    return record ? this.toHost(record) : undefined;
  }

  /** Every recorded host, with whether its namespace exists right now. */
  async listHosts(): Promise<ListedSandboxHost[]> {
    const [state, namespaces] = await Promise.all([this.store.read(), listNamespaces()]);
    const present = new Set(namespaces);
    return state.hosts.map((record) => ({
      ...this.toHost(record),
      namespacePresent: present.has(record.name),
    }));
  }

  /**
   * Kills every process in the host's namespace, deletes its veth pair and namespace, its folder
   * (root folder included) and its state entry. Also removes leftovers of a creation that crashed
   * before it was recorded. Returns false when nothing existed.
   */
  async destroyHost(label: string): Promise<boolean> {
    this.checkLabel(label);
    return this.exclusive(async () => {
      const state = await this.store.read();
      const record = state.hosts.find((host) => host.label === label);
      const name = record?.name ?? hostName(this.namePrefix, this.stateDir, label);
      // Without a record, the derived name may belong to another label after a hash collision: keep it.
      if (!record && state.hosts.some((host) => host.name === name)) return false;
      const removed = await this.removeHostResources(name);
      if (record) {
        await this.store.write({ ...state, hosts: state.hosts.filter((host) => host !== record) });
      }
      return removed || record !== undefined;
    });
  }

  /** Destroys every recorded host (test cleanup). Returns the labels destroyed. */
  async destroyAll(): Promise<string[]> {
    const state = await this.store.read();
    const destroyed: string[] = [];
    for (const record of state.hosts) {
      if (await this.destroyHost(record.label)) destroyed.push(record.label);
    }
    return destroyed;
  }

  private checkLabel(label: string): void {
    const problem = validateLabel(label);
    if (problem) throw FedopsError.validation([{ field: 'label', message: problem }]);
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.mutex.runExclusive(() =>
      withFileLock(join(this.stateDir, 'state.lock'), this.lockTimeoutMs, task),
    );
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

  private async create(state: SandboxState, label: string): Promise<HostRecord> {
    const taken = new Set(state.hosts.map((host) => host.name));
    let attempt = 0;
    let name = hostName(this.namePrefix, this.stateDir, label);
    while (taken.has(name)) name = hostName(this.namePrefix, this.stateDir, label, ++attempt);
    // A namespace or folder with this name but no state entry is what a crashed creation left behind.
    await this.removeHostResources(name);

    const layout = hostLayout(this.stateDir, name);
    try {
      const block = await withFileLock(this.networkLockFile, this.lockTimeoutMs, async () => {
        const block = await this.allocate(state);
        await ensureNetwork(name, block);
        return block;
      });
      await this.prepareFolders(layout);
      const hostKey = await this.generateHostKey(layout);
      await writeFile(layout.authorizedKeysFile, this.authorizedKeys, { mode: 0o600 });
      await this.startSshd(name, label, block, layout);
      const record: HostRecord = {
        label,
        name,
        address: block.address,
        hostKey,
        createdAt: new Date().toISOString(),
      };
      await this.store.write({ ...state, hosts: [...state.hosts, record] });
      return record;
    } catch (err) {
      await this.removeHostResources(name).catch(() => undefined);
      throw err;
    }
  }

  private async allocate(state: SandboxState): Promise<HostBlock> {
    const used = new Set(state.hosts.map((host) => blockOfAddress(this.subnet, host.address).index));
    // Addresses configured on the host by anything else (another state dir sharing the subnet).
    const taken = (await hostInterfaceAddresses()).map((a) =>
      rangeOfInterfaceAddress(a.local, a.prefixLength),
    );
    const block = allocateBlock(this.subnet, used, taken);
    if (!block) {
      throw new FedopsError(
        FedopsErrorCode.ProviderFailed,
        `No free /30 left in sandbox subnet ${formatSubnet(this.subnet)}`,
      );
    }
    return block;
  }

  private async repair(state: SandboxState, record: HostRecord): Promise<HostRecord> {
    const block = blockOfAddress(this.subnet, record.address);
    const layout = hostLayout(this.stateDir, record.name);
    await withFileLock(this.networkLockFile, this.lockTimeoutMs, async () => {
      const clash = (await hostInterfaceAddresses()).find(
        (a) => a.local === block.hostAddress && a.ifname !== record.name,
      );
      if (clash) {
        throw new FedopsError(
          FedopsErrorCode.Conflict,
          `Sandbox host ${record.name} (${record.label}) cannot be repaired: ${block.hostAddress} is now on ${clash.ifname}`,
        );
      }
      await ensureNetwork(record.name, block);
    });
    await this.prepareFolders(layout);

    let hostKey: string | undefined;
    try {
      hostKey = normalizePublicKey(await readFile(layout.hostPublicKeyFile, 'utf8'));
      await readFile(layout.hostKeyFile);
    } catch (err) {
      if (!isNotFound(err))
        throw new Error(`Cannot read host key of sandbox host ${record.name}`, { cause: err });
      hostKey = undefined;
    }
    let restart = false;
    if (hostKey === undefined) {
      // The key is gone (folder deleted): a new identity; callers pin whatever ensureHost returns.
      hostKey = await this.generateHostKey(layout);
      restart = true;
    }
    const currentKeys = await readFile(layout.authorizedKeysFile, 'utf8').catch(() => '');
    if (currentKeys !== this.authorizedKeys) {
      await writeFile(layout.authorizedKeysFile, this.authorizedKeys, { mode: 0o600 });
    }

    if (restart || !(await probeSshBanner(record.address, SSH_PORT, 1500))) {
      await this.stopSshd(record.name, layout);
      await this.startSshd(record.name, record.label, block, layout);
    }
    if (hostKey !== record.hostKey) {
      const updated = { ...record, hostKey };
      await this.store.write({
        ...state,
        hosts: state.hosts.map((host) => (host === record ? updated : host)),
      });
      return updated;
    }
    return record;
  }

  private async prepareFolders(layout: HostLayout): Promise<void> {
    await mkdir(layout.hostDir, { recursive: true, mode: 0o700 });
    for (const sub of ROOT_SUBDIRS) await mkdir(join(layout.rootDir, sub), { recursive: true });
  }

  private async generateHostKey(layout: HostLayout): Promise<string> {
    await rm(layout.hostKeyFile, { force: true });
    await rm(layout.hostPublicKeyFile, { force: true });
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
    });
    const what = `sshd of sandbox host ${name} (${label}) on ${block.address}:${SSH_PORT}`;
    try {
      await run(command, args, { timeoutMs: this.sshdStartTimeoutMs });
    } catch (err) {
      throw new FedopsError(
        FedopsErrorCode.ProviderFailed,
        `${what} failed to start; log tail: ${await logTail(layout.logFile)}`,
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
  private async stopSshd(name: string, layout: HostLayout): Promise<void> {
    const text = await readFile(layout.pidFile, 'utf8').catch(() => '');
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0) return;
    if (!(await namespacePids(name)).includes(pid)) return;
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
    const folderExisted = await stat(layout.hostDir).then(
      () => true,
      (err: unknown) => !isNotFound(err),
    );
    if (folderExisted) {
      await rm(layout.hostDir, { recursive: true, force: true });
      removed = true;
    }
    return removed;
  }
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
