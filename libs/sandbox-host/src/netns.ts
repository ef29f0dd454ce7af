import { parseIpAddrJson, parseNetnsList, parsePids, type InterfaceAddress } from './ip-output';
import { vethNames } from './names';
import { run } from './run';
import type { HostBlock } from './subnet';

/** Thin wrappers over iproute2 for the network side of a sandbox host. All idempotent. */

export async function listNamespaces(): Promise<string[]> {
  return parseNetnsList((await run('ip', ['netns', 'list'])).stdout);
}

export async function namespaceExists(name: string): Promise<boolean> {
  return (await listNamespaces()).includes(name);
}

export async function linkExists(name: string): Promise<boolean> {
  return (await run('ip', ['link', 'show', 'dev', name], { allowFailure: true })).exitCode === 0;
}

export async function hostInterfaceAddresses(): Promise<InterfaceAddress[]> {
  return parseIpAddrJson((await run('ip', ['-j', '-4', 'addr', 'show'])).stdout);
}

export async function namespacePids(name: string): Promise<number[]> {
  const result = await run('ip', ['netns', 'pids', name], { allowFailure: true });
  return result.exitCode === 0 ? parsePids(result.stdout) : [];
}

/**
 * Creates what is missing of the namespace and the veth pair, and puts the host end's address on the
 * host. Once this returns, the address is visible to `hostInterfaceAddresses()` of every process on the
 * machine, so callers run it under the machine-wide network lock right after allocating the address.
 */
export async function claimHostSide(name: string, block: HostBlock): Promise<void> {
  const veth = vethNames(name);
  if (!(await namespaceExists(name))) await run('ip', ['netns', 'add', name]);
  if (!(await linkExists(veth.hostSide))) {
    await run('ip', [
      'link',
      'add',
      veth.hostSide,
      'type',
      'veth',
      'peer',
      'name',
      veth.namespaceSide,
      'netns',
      name,
    ]);
  }
  await run('ip', ['addr', 'replace', `${block.hostAddress}/${block.prefixLength}`, 'dev', veth.hostSide]);
}

/** Brings the host end up and configures the namespace: `lo`, its address and the default route. Idempotent. */
export async function configureNetwork(name: string, block: HostBlock): Promise<void> {
  const veth = vethNames(name);
  const inNs = (...args: string[]): string[] => ['netns', 'exec', name, 'ip', ...args];
  await run('ip', ['link', 'set', veth.hostSide, 'up']);
  await run('ip', inNs('link', 'set', 'lo', 'up'));
  await run(
    'ip',
    inNs('addr', 'replace', `${block.address}/${block.prefixLength}`, 'dev', veth.namespaceSide),
  );
  await run('ip', inNs('link', 'set', veth.namespaceSide, 'up'));
  await run('ip', inNs('route', 'replace', 'default', 'via', block.hostAddress));
}

/** Creates what is missing of: the namespace, the veth pair, both addresses, `lo` and the default route. */
export async function ensureNetwork(name: string, block: HostBlock): Promise<void> {
  await claimHostSide(name, block);
  await configureNetwork(name, block);
}

/** Deletes the veth pair and the namespace if present (callers kill the namespace's processes first). */
export async function deleteNetwork(name: string): Promise<boolean> {
  let removed = false;
  if (await linkExists(vethNames(name).hostSide)) {
    await run('ip', ['link', 'del', vethNames(name).hostSide]);
    removed = true;
  }
  if (await namespaceExists(name)) {
    await run('ip', ['netns', 'del', name]);
    removed = true;
  }
  return removed;
}
