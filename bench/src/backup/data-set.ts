/**
 * The backup benchmark's data set, laid out as an app's data folder in a machine's file root: many
 * small files in nested folders, a few large ones, and a real PostgreSQL dump (custom format,
 * uncompressed, as the backup service's own dumps are), and the 1 % change made between backups.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { appendFile, mkdir, open, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { PostgresEndpoint } from '@fedops/testing';

const execFileAsync = promisify(execFile);

const PG_BIN_DIR = '/usr/lib/postgresql/15/bin';
const MIB = 1024 * 1024;
const TABLE = 'bench_rows';

/** The data set's size; FEDOPS_BENCH_BACKUP_SCALE multiplies every count and size of the full one. */
export interface DataSetShape {
  smallFiles: number;
  /** Small files are 1..8 KiB, uniformly. */
  smallMinBytes: number;
  smallMaxBytes: number;
  /** Small files per folder; folders nest two deep (`d<i>/e<j>/f<k>.bin`). */
  filesPerFolder: number;
  largeFiles: number;
  largeBytes: number;
  /** Rows of the table that is dumped. */
  rows: number;
  /** What the 1 % change appends to one large file. */
  appendBytes: number;
}

export function dataSetShape(scale: number): DataSetShape {
  if (!(scale > 0 && scale <= 10)) throw new Error(`scale must be within (0, 10], got ${scale}`);
  return {
    smallFiles: Math.max(100, Math.round(20_000 * scale)),
    smallMinBytes: 1024,
    smallMaxBytes: 8 * 1024,
    filesPerFolder: 50,
    largeFiles: 3,
    largeBytes: Math.max(MIB, Math.round(64 * MIB * scale)),
    rows: Math.max(1000, Math.round(200_000 * scale)),
    appendBytes: Math.max(256 * 1024, Math.round(4 * MIB * scale)),
  };
}

/** Where the data set lives and how to reach its database. */
export interface DataSet {
  /** The machine's file root. */
  root: string;
  /** The app's data path inside the file root, `/var/lib/benchapp`. */
  dataPath: string;
  shape: DataSetShape;
  postgres: PostgresEndpoint;
  smallFiles: string[];
  largeFiles: string[];
  dumpFile: string;
}

export const DATA_PATH = '/var/lib/benchapp';

/** Writes the whole data set into `<root>/var/lib/benchapp`, the dump from a table of `shape.rows` rows. */
export async function createDataSet(
  root: string,
  shape: DataSetShape,
  postgres: PostgresEndpoint,
): Promise<DataSet> {
  const dir = path.join(root, DATA_PATH);
  const smallFiles: string[] = [];
  for (let i = 0; i < shape.smallFiles; i++) {
    const folder = Math.floor(i / shape.filesPerFolder);
    smallFiles.push(path.join(dir, 'files', `d${Math.floor(folder / 20)}`, `e${folder % 20}`, `f${i}.bin`));
  }
  for (const folder of new Set(smallFiles.map((f) => path.dirname(f))))
    await mkdir(folder, { recursive: true });
  await inBatches(smallFiles, 64, (file) => writeFile(file, randomBytes(smallSize(shape))));
  await mkdir(path.join(dir, 'media'), { recursive: true });
  const largeFiles = Array.from({ length: shape.largeFiles }, (_, i) =>
    path.join(dir, 'media', `large-${i}.bin`),
  );
  for (const file of largeFiles) await writeRandom(file, shape.largeBytes);
  await mkdir(path.join(dir, 'db'), { recursive: true });
  const set: DataSet = {
    root,
    dataPath: DATA_PATH,
    shape,
    postgres,
    smallFiles,
    largeFiles,
    dumpFile: path.join(dir, 'db', 'benchapp.pgdump'),
  };
  await psql(
    postgres,
    `CREATE TABLE ${TABLE} (id integer PRIMARY KEY, account text NOT NULL, body text NOT NULL, created timestamptz NOT NULL);
     INSERT INTO ${TABLE}
       SELECT g, 'account-' || g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text), now() - g * interval '1 second'
       FROM generate_series(1, ${shape.rows}) AS g;`,
  );
  await dump(set);
  return set;
}

/**
 * Changes 1 % of the data set: rewrites 1 % of the small files (chosen at random, same sizes), appends
 * `appendBytes` to one large file (by round), updates 1 % of the rows (a contiguous range, by round)
 * and dumps the database again over the old dump.
 */
export async function changeOnePercent(
  set: DataSet,
  round: number,
): Promise<{ files: number; rowsUpdated: number }> {
  const count = Math.max(1, Math.round(set.smallFiles.length / 100));
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(set.smallFiles[randomInt(set.smallFiles.length)]!);
  await inBatches([...chosen], 64, async (file) => writeFile(file, randomBytes((await stat(file)).size)));
  await appendFile(set.largeFiles[round % set.largeFiles.length]!, randomBytes(set.shape.appendBytes));
  const rows = Math.max(1, Math.round(set.shape.rows / 100));
  const first = (((round - 1) * rows) % set.shape.rows) + 1;
  await psql(
    set.postgres,
    `UPDATE ${TABLE} SET body = md5(random()::text) || md5(random()::text) || md5(random()::text), created = now()
     WHERE id BETWEEN ${first} AND ${first + rows - 1};`,
  );
  await dump(set);
  return { files: count, rowsUpdated: rows };
}

/** Files and bytes under the app's data path (what both backups must report). */
export async function dataSetSize(set: DataSet): Promise<{ files: number; bytes: number }> {
  const files = [...set.smallFiles, ...set.largeFiles, set.dumpFile];
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  return { files: files.length, bytes };
}

function smallSize(shape: DataSetShape): number {
  return randomInt(shape.smallMinBytes, shape.smallMaxBytes + 1);
}

async function writeRandom(file: string, bytes: number): Promise<void> {
  const handle = await open(file, 'w');
  try {
    for (let done = 0; done < bytes;) {
      const chunk = randomBytes(Math.min(4 * MIB, bytes - done));
      await handle.write(chunk);
      done += chunk.length;
    }
  } finally {
    await handle.close();
  }
}

async function inBatches<T>(
  items: readonly T[],
  size: number,
  each: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

function pgEnv(postgres: PostgresEndpoint): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PGPASSWORD: postgres.password };
}

function connection(postgres: PostgresEndpoint): string[] {
  return ['-h', postgres.host, '-p', String(postgres.port), '-U', postgres.user, '-d', postgres.database];
}

async function psql(postgres: PostgresEndpoint, sql: string): Promise<void> {
  try {
    await execFileAsync(
      path.join(PG_BIN_DIR, 'psql'),
      [...connection(postgres), '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql],
      {
        env: pgEnv(postgres),
      },
    );
  } catch (err) {
    throw new Error(`psql failed: ${sql.split('\n')[0]}`, { cause: err });
  }
}

/** `pg_dump --format=custom --compress=0` of the database, as the backup script dumps an app's databases. */
async function dump(set: DataSet): Promise<void> {
  try {
    await execFileAsync(
      path.join(PG_BIN_DIR, 'pg_dump'),
      [...connection(set.postgres), '--format=custom', '--compress=0', `--file=${set.dumpFile}`],
      { env: pgEnv(set.postgres) },
    );
  } catch (err) {
    throw new Error(`pg_dump of ${set.postgres.database} failed`, { cause: err });
  }
}
