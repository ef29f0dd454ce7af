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

/** What already exists of a host's network; unknown parts are looked up. */
export interface ExistingNetwork {
  namespace: boolean;
  link: boolean;
}

/**
 * Creates what is missing of the namespace and the veth pair, puts the host end's address on the
 * host and brings it up, in one `ip -batch`. Once this returns, the address is visible to
 * `hostInterfaceAddresses()` of every process on the machine, so callers run it under the
 * machine-wide network lock right after allocating the address.
 */
export async function claimHostSide(
  name: string,
  block: HostBlock,
  existing?: ExistingNetwork,
): Promise<void> {
  const veth = vethNames(name);
  const namespace = existing?.namespace ?? (await namespaceExists(name));
  const link = existing?.link ?? (await linkExists(veth.hostSide));
  const lines = [
    ...(namespace ? [] : [`netns add ${name}`]),
    ...(link ? [] : [`link add ${veth.hostSide} type veth peer name ${veth.namespaceSide} netns ${name}`]),
    `addr replace ${block.hostAddress}/${block.prefixLength} dev ${veth.hostSide}`,
    `link set ${veth.hostSide} up`,
  ];
  await run('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n` });
}

/** Configures the namespace end: `lo`, its address, link up and the default route, in one `ip -batch`. Idempotent. */
export async function configureNetwork(name: string, block: HostBlock): Promise<void> {
  const veth = vethNames(name);
  const lines = [
    'link set lo up',
    `addr replace ${block.address}/${block.prefixLength} dev ${veth.namespaceSide}`,
    `link set ${veth.namespaceSide} up`,
    `route replace default via ${block.hostAddress}`,
  ];
  await run('ip', ['-netns', name, '-batch', '-'], { input: `${lines.join('\n')}\n` });
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
