import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkUnique,
  SimulatorStateFile,
  SimulatorStateFileError,
  type StateFields,
} from './simulator-state-file';

interface Doc {
  next: number;
  vms: Array<{ id: number; name: string; status: 'on' | 'off'; labels: Record<string, string> }>;
}

function parse(fields: StateFields): Doc {
  const vmFields = fields.objects('vms');
  const vms = vmFields.map((f) => ({
    id: f.integer('id'),
    name: f.string('name'),
    status: f.oneOf('status', ['on', 'off'] as const),
    labels: f.stringMap('labels'),
  }));
  checkUnique(
    vmFields.map((f, i) => [f, vms[i]?.id] as const),
    'id',
  );
  return { next: fields.integer('next'), vms };
}

describe('SimulatorStateFile', () => {
  let dir: string;
  let path: string;
  const file = (debounceMs = 5): SimulatorStateFile<Doc> =>
    new SimulatorStateFile({ path, kind: 'hetzner', version: 1, parse, debounceMs });
  const doc: Doc = { next: 3, vms: [{ id: 2, name: 'a', status: 'on', labels: { k: 'v' } }] };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-state-'));
    path = join(dir, 'nested', 'hetzner-state.json');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('loads nothing on a first start, then what it saved, from a 0600 file with no temp files left', async () => {
    const first = file();
    expect(await first.load()).toBeUndefined();
    let current = doc;
    first.attach(() => current);
    first.changed();
    await first.flush();
    current = { ...doc, next: 4 };
    first.changed();
    first.changed();
    await first.close();
    first.changed(); // ignored after close
    expect(((await stat(path)).mode & 0o777).toString(8)).toBe('600');
    expect(await readdir(join(dir, 'nested'))).toEqual(['hetzner-state.json']);
    const raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(raw).toMatchObject({ simulator: 'hetzner', version: 1, state: { next: 4 } });
    expect(await file().load()).toEqual({ ...doc, next: 4 });
  });

  it('writes shortly after a change without a flush', async () => {
    const saver = file(1);
    saver.attach(() => doc);
    saver.changed();
    for (let i = 0; i < 100; i++) {
      const written = await readFile(path, 'utf8').catch(() => undefined);
      if (written !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await file().load()).toEqual(doc);
  });

  it('refuses a file that is not JSON, not its kind or version, or invalid, naming the file and each problem', async () => {
    await mkdir(join(dir, 'nested'));
    const expectRefusal = async (text: string, message: RegExp): Promise<void> => {
      await writeFile(path, text);
      const error = await file()
        .load()
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(error).toBeInstanceOf(SimulatorStateFileError);
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).toMatch(message);
    };
    await expectRefusal('{"simulator": "hetzner", "vers', /is not valid JSON/);
    await expectRefusal('[]', /is invalid: must hold a JSON object/);
    await expectRefusal(
      JSON.stringify({ simulator: 'digitalocean', version: 1, state: {} }),
      /not the state of a hetzner simulator/,
    );
    await expectRefusal(JSON.stringify({ simulator: 'hetzner', version: 2, state: {} }), /has version 2/);
    await expectRefusal(
      JSON.stringify({
        simulator: 'hetzner',
        version: 1,
        state: {
          next: -1,
          vms: [
            { id: 1, name: 'a', status: 'on', labels: {} },
            { id: 1, name: 7, status: 'sleeping', labels: { k: 1 } },
            'nope',
          ],
        },
      }),
      new RegExp(
        [
          'vms\\[2\\]: must be an object',
          'vms\\[1\\]\\.name: must be a string',
          'vms\\[1\\]\\.status: must be one of on, off',
          'vms\\[1\\]\\.labels: must be an object of strings',
          'vms\\[1\\]\\.id: duplicate 1',
          'next: must be a non-negative integer',
        ]
          .map((problem) => `state\\.${problem}`)
          .join('; '),
      ),
    );
  });

  it('removes the file and stops saving', async () => {
    const saver = file();
    saver.attach(() => doc);
    saver.changed();
    await saver.flush();
    await saver.remove();
    saver.changed();
    await saver.flush();
    expect(await file().load()).toBeUndefined();
  });
});
