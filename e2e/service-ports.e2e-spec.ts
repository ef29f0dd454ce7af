import { createServer, type Socket } from 'node:net';
import { freePorts, startTestPlatform, type PortPicker, type TestPlatform } from '@fedops/testing';

// The race of issue 14: a port chosen free for a service is taken by another process before the
// service binds it. Here the test itself takes it, through the platform's port picker.

let env: TestPlatform | undefined;
const sockets = new Set<Socket>();
const squatter = createServer((socket) => sockets.add(socket));

afterAll(async () => {
  await env?.stop();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => squatter.close(() => resolve()));
});

it('starts a service on another port when the port chosen for it is taken before it binds, and says why', async () => {
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  const address = squatter.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  const taken = address.port;
  let first = true;
  // The first port handed out (tenant-api's: it is started first) is the one the squatter holds.
  const picker: PortPicker = async (count) => {
    const ports = (await freePorts(count + 1)).filter((port) => port !== taken).slice(0, count);
    if (first) ports[0] = taken;
    first = false;
    return ports;
  };
  const notices: string[] = [];
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    notices.push(String(chunk));
    return true;
  });
  try {
    env = await startTestPlatform('ports', { portPicker: picker });
  } finally {
    write.mockRestore();
  }

  const apiPort = Number(new URL(env.apiUrl).port);
  expect(apiPort).not.toBe(taken);
  expect((await fetch(`${env.apiUrl}/readyz`)).status).toBe(200);
  expect(notices.join('')).toMatch(
    new RegExp(
      `\\[fedops\\] tenant-api: port ${taken} was taken \\(.*EADDRINUSE.*\\); retrying on ${apiPort}\\n`,
    ),
  );
}, 180_000);
