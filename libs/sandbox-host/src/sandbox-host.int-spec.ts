import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from './file-lock';
import { hostLayout } from './host-layout';
import { hostName } from './names';
import { claimHostSide, hostInterfaceAddresses, listNamespaces, namespacePids } from './netns';
import { run, type RunResult } from './run';
import { SandboxHostManager } from './sandbox-host.manager';
import type { SandboxHost } from './sandbox-host.types';
import { probeSshBanner } from './ssh-probe';
import type { HostReservation } from './state-file';
import { StateStore } from './state-store';
import { allocateBlock, blockOfAddress, parseSubnet, rangeOfInterfaceAddress } from './subnet';

const NETWORK_LOCK = '/run/lock/fedops-sandbox-host.lock';
const SUBNET = '10.213.0.0/16';

/** Real network namespaces and a real sshd per host; needs root, iproute2 and openssh-server. */
describe('SandboxHostManager (real netns + sshd)', () => {
  let dir: string;
  let stateDir: string;
  let clientKey: string;
  let manager: SandboxHostManager;

  const label = (what: string): string => `test-${what}-${randomBytes(3).toString('hex')}`;

  async function ssh(
    host: SandboxHost,
    command: string,
    pinnedKey = host.hostKey,
    identityFile = clientKey,
  ): Promise<RunResult> {
    const knownHosts = join(dir, `known_hosts-${randomBytes(4).toString('hex')}`);
    await writeFile(knownHosts, `${host.address} ${pinnedKey}\n`);
    return run(
      'ssh',
      [
        '-F',
        '/dev/null',
        '-i',
        identityFile,
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        `UserKnownHostsFile=${knownHosts}`,
        '-o',
        'GlobalKnownHostsFile=/dev/null',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'ConnectTimeout=5',
        '-p',
        String(host.sshPort),
        `${host.sshUser}@${host.address}`,
        command,
      ],
      { allowFailure: true, timeoutMs: 20_000 },
    );
  }

  async function waitFor(check: () => Promise<boolean>, what: string, deadlineMs = 10_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (!(await check())) {
      if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function sshdPid(host: SandboxHost): Promise<number> {
    return Number((await readFile(hostLayout(stateDir, host.name).pidFile, 'utf8')).trim());
  }

  /** Whether `pid` is a live process; a zombie waiting for its parent (PID 1 here) to reap it is not. */
  async function processRunning(pid: number): Promise<boolean> {
    try {
      const text = await readFile(`/proc/${pid}/stat`, 'utf8');
      const state = text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }

  /** Session id (field 6 of /proc/<pid>/stat). */
  async function sessionOf(pid: number | 'self'): Promise<string> {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[3] ?? '';
  }

  /** A fresh ed25519 key pair in `dir`: its file, private key text and normalised public line. */
  async function keyPair(what: string): Promise<{ file: string; privateKey: string; publicKey: string }> {
    const file = join(dir, `${what}-${randomBytes(3).toString('hex')}`);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', what, '-f', file]);
    const publicKey = (await readFile(`${file}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
    return { file, privateKey: await readFile(file, 'utf8'), publicKey };
  }

  /** Another manager on the same machine, as another process would have (own in-process mutexes). */
  async function otherManager(otherStateDir: string): Promise<SandboxHostManager> {
    return new SandboxHostManager({
      stateDir: otherStateDir,
      namePrefix: 'fot',
      authorizedKeys: [await readFile(`${clientKey}.pub`, 'utf8')],
    });
  }

  /**
   * What a creation that crashed right after reserving leaves: a `creating` entry in the state file
   * and the host side of its network (namespace, veth, host address), nothing else.
   */
  async function leaveReservation(forLabel: string): Promise<HostReservation> {
    const store = new StateStore(stateDir, SUBNET, 'fot');
    const subnet = parseSubnet(SUBNET);
    return withFileLock(join(stateDir, 'state.lock'), 30_000, () =>
      withFileLock(NETWORK_LOCK, 30_000, async () => {
        const state = await store.read();
        const used = new Set(state.hosts.map((h) => blockOfAddress(subnet, h.address).index));
        const taken = (await hostInterfaceAddresses()).map((a) =>
          rangeOfInterfaceAddress(a.local, a.prefixLength),
        );
        const block = allocateBlock(subnet, used, taken);
        if (!block) throw new Error('subnet full');
        const reservation: HostReservation = {
          label: forLabel,
          name: hostName('fot', stateDir, forLabel),
          address: block.address,
          createdAt: new Date().toISOString(),
          status: 'creating',
        };
        await store.write({ ...state, hosts: [...state.hosts, reservation] });
        await claimHostSide(reservation.name, block);
        return reservation;
      }),
    );
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fedops-sandbox-host-'));
    stateDir = join(dir, 'state');
    clientKey = join(dir, 'client_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sandbox-host-test', '-f', clientKey]);
    manager = new SandboxHostManager({
      stateDir,
      namePrefix: 'fot',
      authorizedKeys: [await readFile(`${clientKey}.pub`, 'utf8')],
    });
  });

  afterAll(async () => {
    try {
      if (manager) await manager.destroyAll();
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  });

  it('creates a host reachable over SSH with its pinned key, running inside its namespace', async () => {
    const host = await manager.ensureHost(label('create'));
    expect(host.name).toMatch(/^fot-[0-9a-f]{8}$/);
    expect(host.address).toMatch(/^10\.213\.\d+\.\d+$/);
    expect(host.hostKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+=*$/);
    expect(host).toMatchObject({
      sshPort: 22,
      sshUser: 'root',
      rootDir: join(stateDir, 'hosts', host.name, 'root'),
    });

    const result = await ssh(
      host,
      'ip -4 addr show; ip netns identify; echo "root=$FEDOPS_SANDBOX_ROOT"; echo ok',
    );
    expect(result.stderr).not.toMatch(/Host key verification failed/);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`inet ${host.address}/30`);
    // Inside the namespace: its own name, and none of the host's interfaces (not even its veth end).
    expect(result.stdout.split('\n')).toContain(host.name);
    expect(result.stdout).not.toContain(`inet ${host.hostAddress}/`);
    expect(result.stdout).toContain(`root=${host.rootDir}`);
    expect(result.stdout.trimEnd().endsWith('ok')).toBe(true);

    for (const sub of ['etc', 'var/lib', 'run']) {
      expect((await stat(join(host.rootDir, sub))).isDirectory()).toBe(true);
    }
    // sshd daemonised into its own session: it does not depend on this process staying alive.
    const pid = await sshdPid(host);
    expect(await namespacePids(host.name)).toContain(pid);
    expect(await sessionOf(pid)).not.toBe(await sessionOf('self'));
  });

  it('returns the same host when asked twice for one label', async () => {
    const name = label('twice');
    const first = await manager.ensureHost(name);
    const second = await manager.ensureHost(name);
    expect(second).toEqual(first);
    expect(await manager.findHost(name)).toEqual(first);
    const listed = (await manager.listHosts()).find((h) => h.label === name);
    expect(listed).toEqual({ ...first, namespacePresent: true });
  });

  it('gives hosts created concurrently different addresses and names', async () => {
    const [a, b, c] = await Promise.all([
      manager.ensureHost(label('concurrent-a')),
      manager.ensureHost(label('concurrent-b')),
      manager.ensureHost(label('concurrent-c')),
    ]);
    if (!a || !b || !c) throw new Error('missing host');
    expect(new Set([a.address, b.address, c.address]).size).toBe(3);
    expect(new Set([a.name, b.name, c.name]).size).toBe(3);
    for (const host of [a, b, c]) {
      expect((await ssh(host, 'echo ok')).stdout.trim()).toBe('ok');
    }
  });

  it('repairs a host whose sshd was killed', async () => {
    const name = label('repair');
    const host = await manager.ensureHost(name);
    const pid = await sshdPid(host);
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => !(await probeSshBanner(host.address, 22, 1000)), 'sshd to stop answering');

    const repaired = await manager.ensureHost(name);
    expect(repaired).toEqual(host);
    expect(await sshdPid(repaired)).not.toBe(pid);
    const result = await ssh(repaired, 'echo ok');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe('ok');
  });

  it('rebuilds the network of a host whose namespace vanished (host restart)', async () => {
    const name = label('reboot');
    const host = await manager.ensureHost(name);
    // What a reboot leaves: no processes, no veth, no namespace; the state file and folder remain.
    for (const pid of await namespacePids(host.name)) process.kill(pid, 'SIGKILL');
    await waitFor(async () => (await namespacePids(host.name)).length === 0, 'namespace processes to exit');
    await run('ip', ['link', 'del', host.name]);
    await run('ip', ['netns', 'del', host.name]);
    expect((await manager.listHosts()).find((h) => h.label === name)?.namespacePresent).toBe(false);

    const repaired = await manager.ensureHost(name);
    expect(repaired).toEqual(host);
    const result = await ssh(repaired, 'ip netns identify');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(host.name);
  });

  it('destroys a host completely, and reports false when there is nothing left', async () => {
    const name = label('destroy');
    const host = await manager.ensureHost(name);
    const pid = await sshdPid(host);
    const layout = hostLayout(stateDir, host.name);

    expect(await manager.destroyHost(name)).toBe(true);

    expect(await listNamespaces()).not.toContain(host.name);
    expect((await run('ip', ['link', 'show', 'dev', host.name], { allowFailure: true })).exitCode).not.toBe(
      0,
    );
    expect((await run('ip', ['-4', 'addr', 'show'])).stdout).not.toContain(`inet ${host.hostAddress}/`);
    expect(await processRunning(pid)).toBe(false);
    await expect(stat(layout.hostDir)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await manager.findHost(name)).toBeUndefined();
    expect((await manager.listHosts()).map((h) => h.label)).not.toContain(name);
    expect(await manager.destroyHost(name)).toBe(false);
  });

  it('refuses the connection when the pinned host key is wrong', async () => {
    const host = await manager.ensureHost(label('pinning'));
    const otherKey = join(dir, `other_host_key-${randomBytes(3).toString('hex')}`);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const wrong = (await readFile(`${otherKey}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
    expect(wrong).not.toBe(host.hostKey);

    const result = await ssh(host, 'echo ok', wrong);
    expect(result.exitCode).toBe(255);
    expect(result.stdout).not.toContain('ok');
    expect(result.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    // The same host with its real key still works, so the failure is the key alone.
    expect((await ssh(host, 'echo ok')).exitCode).toBe(0);
  });

  it('creates other hosts while one host is held in the slow part of its creation, all reachable', async () => {
    // No timing: one host's sshd start is held by a wrapper until the test releases it. Hosts for
    // other labels must be created meanwhile, so no lock spans the slow part (namespace, host key,
    // sshd, waiting for SSH) of another label's creation.
    const heldStateDir = join(dir, `state-held-${randomBytes(3).toString('hex')}`);
    const held = label('held');
    const release = join(dir, `release-${randomBytes(3).toString('hex')}`);
    const wrapper = join(dir, `sshd-holding-${randomBytes(3).toString('hex')}`);
    await writeFile(
      wrapper,
      [
        '#!/bin/sh',
        '# Holds the sshd of one namespace until the release file exists (60 s at most).',
        `if [ "$(ip netns identify)" = "${hostName('fot', heldStateDir, held)}" ]; then`,
        '  i=0',
        `  while [ ! -e ${release} ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done`,
        'fi',
        'exec /usr/sbin/sshd "$@"',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const holding = new SandboxHostManager({
      stateDir: heldStateDir,
      namePrefix: 'fot',
      authorizedKeys: [await readFile(`${clientKey}.pub`, 'utf8')],
      sshdPath: wrapper,
      sshdStartTimeoutMs: 90_000,
    });

    let heldFinished = false;
    const heldHost = holding.ensureHost(held).finally(() => (heldFinished = true));
    const labels = Array.from({ length: 7 }, (_, i) => label(`beside-${i}`));
    const beside = await Promise.all(labels.map((l) => holding.ensureHost(l)));
    expect(heldFinished).toBe(false);
    await writeFile(release, '');
    const hosts = [...beside, await heldHost];

    expect(hosts.map((h) => h.label)).toEqual([...labels, held]);
    expect(new Set(hosts.map((h) => h.address)).size).toBe(8);
    expect(new Set(hosts.map((h) => h.name)).size).toBe(8);
    const results = await Promise.all(hosts.map((h) => ssh(h, 'ip netns identify')));
    expect(results.map((r) => r.exitCode)).toEqual(hosts.map(() => 0));
    expect(results.map((r) => r.stdout.trim())).toEqual(hosts.map((h) => h.name));

    await Promise.all(hosts.map((h) => holding.destroyHost(h.label)));
  });

  it('creates one host when the same label is asked for concurrently, here and by another process', async () => {
    const name = label('same');
    // A second manager on the same state dir stands for another process: it shares only the lock files.
    const other = await otherManager(stateDir);
    const [a, b, c, d] = await Promise.all([
      manager.ensureHost(name),
      manager.ensureHost(name),
      other.ensureHost(name),
      other.ensureHost(label('same-other')),
    ]);
    if (!a || !b || !c || !d) throw new Error('missing host');
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(d.address).not.toBe(a.address);
    const candidates = [0, 1, 2].map((attempt) => hostName('fot', stateDir, name, attempt));
    expect((await listNamespaces()).filter((ns) => candidates.includes(ns))).toEqual([a.name]);
    const state = await new StateStore(stateDir, SUBNET, 'fot').read();
    expect(state.hosts.filter((h) => h.label === name)).toHaveLength(1);
    expect((await ssh(a, 'echo ok')).stdout.trim()).toBe('ok');
    await Promise.all([manager.destroyHost(name), manager.destroyHost(d.label)]);
  });

  it('gives distinct addresses to hosts created at once by managers of different state dirs', async () => {
    const other = await otherManager(join(dir, 'other-state'));
    try {
      const hosts = await Promise.all([
        ...[0, 1, 2].map((i) => manager.ensureHost(label(`mine-${i}`))),
        ...[0, 1, 2].map((i) => other.ensureHost(label(`theirs-${i}`))),
      ]);
      expect(new Set(hosts.map((h) => h.address)).size).toBe(6);
      expect(new Set(hosts.map((h) => h.name)).size).toBe(6);
      const results = await Promise.all(hosts.map((h) => ssh(h, 'echo ok')));
      expect(results.map((r) => r.stdout.trim())).toEqual(hosts.map(() => 'ok'));
      await Promise.all(hosts.slice(0, 3).map((h) => manager.destroyHost(h.label)));
    } finally {
      await other.destroyAll();
    }
  });

  it('completes a reservation left by a crashed creation', async () => {
    const name = label('crashed');
    const reservation = await leaveReservation(name);
    // Not a host yet: callers do not see it.
    expect(await manager.findHost(name)).toBeUndefined();
    expect((await manager.listHosts()).map((h) => h.label)).not.toContain(name);

    const host = await manager.ensureHost(name);
    expect(host).toMatchObject({ name: reservation.name, address: reservation.address });
    expect(await manager.findHost(name)).toEqual(host);
    const state = await new StateStore(stateDir, SUBNET, 'fot').read();
    expect(state.hosts.find((h) => h.label === name)?.status).toBe('ready');
    const result = await ssh(host, 'ip netns identify');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe(host.name);
    await manager.destroyHost(name);
  });

  it('completes a crashed creation with the identity of the call that completes it', async () => {
    const name = label('crashed-identity');
    await leaveReservation(name);
    const client = await keyPair('crashed-client');
    const hostKey = await keyPair('crashed-host');
    const host = await manager.ensureHost(name, {
      authorizedKeys: [client.publicKey],
      hostPrivateKey: hostKey.privateKey,
    });
    expect(host.hostKey).toBe(hostKey.publicKey);
    const result = await ssh(host, 'echo ok', hostKey.publicKey, client.file);
    expect(result.exitCode).toBe(0);
    expect((await ssh(host, 'echo ok', hostKey.publicKey, clientKey)).exitCode).toBe(255);
    await manager.destroyHost(name);
  });

  it('destroys a reservation left by a crashed creation', async () => {
    const name = label('crashed-destroy');
    const reservation = await leaveReservation(name);
    expect(await listNamespaces()).toContain(reservation.name);

    expect(await manager.destroyHost(name)).toBe(true);
    expect(await listNamespaces()).not.toContain(reservation.name);
    const block = blockOfAddress(parseSubnet(SUBNET), reservation.address);
    expect((await run('ip', ['-4', 'addr', 'show'])).stdout).not.toContain(`inet ${block.hostAddress}/`);
    const state = await new StateStore(stateDir, SUBNET, 'fot').read();
    expect(state.hosts.map((h) => h.label)).not.toContain(name);
    expect(await manager.destroyHost(name)).toBe(false);
  });

  it('makes a host with its own identity: exactly its keys log in, it presents exactly its host key, also after repairs', async () => {
    const name = label('identity');
    const client = await keyPair('identity-client');
    const hostKey = await keyPair('identity-host');
    const host = await manager.ensureHost(name, {
      authorizedKeys: [`${client.publicKey} own-client`],
      hostPrivateKey: hostKey.privateKey,
    });
    expect(host.hostKey).toBe(hostKey.publicKey);
    const layout = hostLayout(stateDir, host.name);
    expect(await readFile(layout.authorizedKeysFile, 'utf8')).toBe(`${client.publicKey} own-client\n`);
    expect((await stat(layout.hostKeyFile)).mode & 0o777).toBe(0o600);

    /** ssh pinning the given public key (StrictHostKeyChecking), with the given client key or the manager's. */
    const check = async (): Promise<void> => {
      const own = await ssh(host, 'echo ok', hostKey.publicKey, client.file);
      expect(own.stderr).not.toMatch(/Host key verification failed|IDENTIFICATION HAS CHANGED/);
      expect(own.exitCode).toBe(0);
      expect(own.stdout.trim()).toBe('ok');
      const managers = await ssh(host, 'echo ok', hostKey.publicKey, clientKey);
      expect(managers.exitCode).toBe(255);
      expect(managers.stderr).toMatch(/Permission denied/);
    };
    await check();
    const state = await new StateStore(stateDir, SUBNET, 'fot').read();
    expect(state.hosts.find((h) => h.label === name)).toMatchObject({
      hostKey: hostKey.publicKey,
      authorizedKeys: [`${client.publicKey} own-client`],
    });

    // Repair: sshd killed and authorized_keys overwritten with the manager's key; ensureHost without an
    // identity, then with another one, brings back the recorded identity and does not re-key.
    const pid = await sshdPid(host);
    await writeFile(layout.authorizedKeysFile, await readFile(`${clientKey}.pub`, 'utf8'));
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => !(await probeSshBanner(host.address, 22, 1000)), 'sshd to stop answering');
    expect(await manager.isSshdRunning(name)).toBe(false);
    expect(await manager.ensureHost(name)).toEqual(host);
    expect(await sshdPid(host)).not.toBe(pid);
    await check();
    const other = await keyPair('identity-other');
    expect(
      await manager.ensureHost(name, { authorizedKeys: [other.publicKey], hostPrivateKey: other.privateKey }),
    ).toEqual(host);
    await check();

    // stopSshd switches it off, ensureHost brings it back with the same identity.
    expect(await manager.isSshdRunning(name)).toBe(true);
    expect(await manager.stopSshd(name)).toBe(true);
    expect(await manager.isSshdRunning(name)).toBe(false);
    expect(await probeSshBanner(host.address, 22, 1000)).toBe(false);
    expect(await manager.ensureHost(name)).toEqual(host);
    await check();
    expect(await manager.stopSshd(label('never-made'))).toBe(false);
    await manager.destroyHost(name);
  });

  it('refuses bad identities by field, without echoing the private key, and needs keys from somewhere', async () => {
    const keyless = new SandboxHostManager({
      stateDir: join(dir, 'state-keyless'),
      namePrefix: 'fot',
      authorizedKeys: [],
    });
    const secret = 'NOT-A-KEY-7f3a9c';
    const refusal = async (promise: Promise<unknown>): Promise<FedopsError> => {
      const err: unknown = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!(err instanceof FedopsError)) throw new Error(`expected a FedopsError, got ${String(err)}`);
      expect(err.code).toBe(FedopsErrorCode.ValidationFailed);
      return err;
    };
    const bad = await refusal(
      manager.ensureHost(label('bad-key'), {
        authorizedKeys: [],
        hostPrivateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${secret}\n`,
      }),
    );
    expect(bad.details.fields?.map((f) => f.field)).toEqual(['identity.hostPrivateKey']);
    expect(JSON.stringify({ message: bad.message, fields: bad.details.fields })).not.toContain(secret);
    const badLine = await refusal(
      manager.ensureHost(label('bad-line'), { authorizedKeys: ['ssh-foo AAAA'] }),
    );
    expect(badLine.details.fields?.map((f) => f.field)).toEqual(['identity.authorizedKeys[0]']);
    const none = await refusal(keyless.ensureHost(label('no-keys')));
    expect(none.details.fields?.map((f) => f.field)).toEqual(['identity.authorizedKeys']);
    expect(await keyless.listHosts()).toEqual([]);
  });

  it('checkUsable reports a usable state dir, and names a broken one', async () => {
    expect(await manager.checkUsable()).toEqual({ stateDir, hosts: expect.any(Number) as number });
    const blocked = join(dir, `not-a-dir-${randomBytes(3).toString('hex')}`);
    await writeFile(blocked, 'a file where the state dir should be');
    const broken = new SandboxHostManager({ stateDir: blocked, namePrefix: 'fot', authorizedKeys: [] });
    await expect(broken.checkUsable()).rejects.toThrow(blocked);
    const noSshd = new SandboxHostManager({
      stateDir: join(dir, 'state-no-sshd'),
      namePrefix: 'fot',
      authorizedKeys: [],
      sshdPath: '/nonexistent/sshd',
    });
    await expect(noSshd.checkUsable()).rejects.toThrow(/sshd \/nonexistent\/sshd is not executable/);
  });
});
