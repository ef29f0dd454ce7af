import { connect } from 'node:net';
import { run } from '@fedops/sandbox-host';

/**
 * What the simulators' integration tests ask a simulated VM from outside, as a client would: is SSH
 * answering, which host key does it present, does a command run.
 */

/** `open`: something accepts on port 22; `refused`: nothing listens (the VM is powered off). */
export function sshPort(address: string, timeoutMs = 3000): Promise<'open' | 'refused' | 'timeout'> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port: 22, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      if (err.code === 'ECONNREFUSED') resolve('refused');
      else reject(err);
    });
  });
}

/** The ed25519 host key line (`ssh-ed25519 AAAA...`) the VM's sshd presents. */
export async function presentedHostKey(address: string): Promise<string> {
  const { stdout } = await run('ssh-keyscan', ['-t', 'ed25519', '-T', '5', address]);
  const line = stdout.split('\n').find((l) => l.startsWith(`${address} `));
  if (line === undefined) throw new Error(`ssh-keyscan found no ed25519 key at ${address}`);
  return line.split(' ').slice(1, 3).join(' ');
}

/** Runs `command` as root on the VM with the private key in `keyFile`; its trimmed output. */
export async function sshRun(address: string, keyFile: string, command: string): Promise<string> {
  const { stdout } = await run('ssh', [
    '-i',
    keyFile,
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ConnectTimeout=5',
    `root@${address}`,
    command,
  ]);
  return stdout.trim();
}
