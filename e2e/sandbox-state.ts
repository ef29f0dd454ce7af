import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Sandbox machines of a platform, as its provisioner's state file records them. */
export function sandboxHosts(dataDir: string): Array<{ label: string; name: string; address: string }> {
  const state = JSON.parse(readFileSync(join(dataDir, 'sandbox', 'state.json'), 'utf8')) as {
    hosts: Array<{ label: string; name: string; address: string }>;
  };
  return state.hosts;
}

/** Network namespaces on this host. */
export function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.length > 0);
}
