import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../cli';
import { fakeIo, type FakeIo, type Handler } from './fake-io';

/**
 * `fedops(argv, handler)`: the command line run in-process against a fake API (the handler) at
 * http://api.example with token `T`, each test with a config folder of its own. Registers the jest
 * hooks that make and remove that folder; call it at the top of a spec file.
 */
export function fedopsAgainstFakeApi(
  label: string,
): (argv: string[], handler: Handler) => Promise<{ code: number; io: FakeIo }> {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `fedops-${label}-spec-`));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return async (argv, handler) => {
    const io = fakeIo(handler, {
      env: { XDG_CONFIG_HOME: dir, FEDOPS_URL: 'http://api.example', FEDOPS_TOKEN: 'T' },
    });
    return { code: await run(argv, io), io };
  };
}
