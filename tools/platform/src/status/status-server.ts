import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ComponentStatus } from '../supervisor/supervisor';

export interface StatusReport {
  readonly launcherPid: number;
  readonly components: readonly ComponentStatus[];
}

export interface StatusServer {
  readonly url: string;
  close(): Promise<void>;
}

/** `GET /status` on 127.0.0.1: every supervised component's state as JSON. Port 0 = the kernel picks one. */
export async function startStatusServer(port: number, report: () => StatusReport): Promise<StatusServer> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/status' || req.url?.startsWith('/status?'))) {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(report()));
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"try GET /status"}');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/status`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
