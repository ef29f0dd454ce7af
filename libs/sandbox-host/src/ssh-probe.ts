import { connect } from 'node:net';

const POLL_INTERVAL_MS = 20;

/** Connects once and resolves true when the peer greets with an SSH banner within `timeoutMs`. */
export function probeSshBanner(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port });
    let received = '';
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.startsWith('SSH-')) finish(true);
      else if (received.length >= 4) finish(false);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

/**
 * Polls until sshd greets or the deadline passes; returns whether it did. sshd daemonises before it
 * listens, so the first probe right after starting it is usually refused: retry soon (a refused
 * connect to a local address costs next to nothing).
 */
export async function waitForSsh(host: string, port: number, deadlineMs: number): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const remaining = until - Date.now();
    if (remaining <= 0) return false;
    if (await probeSshBanner(host, port, Math.min(remaining, 2000))) return true;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(POLL_INTERVAL_MS, Math.max(0, until - Date.now()))),
    );
  }
}
