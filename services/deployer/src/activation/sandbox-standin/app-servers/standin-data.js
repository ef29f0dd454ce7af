/*
 * Real data kept by stand-in apps, so that backups, restores and migrations of a sandbox machine
 * move real bytes. Plain CommonJS, no dependencies: shipped to sandbox machines next to
 * fedops-standin-activate.js, whose `serve-app` servers answer this API on every stand-in http
 * endpoint (so through the machine's nginx front, under the app's client_max_body_size):
 *
 *   POST /_fedops/standin/items       body (any bytes, 1 B to 1 MiB) -> 201 {id, sha256, size}
 *   GET  /_fedops/standin/items       -> 200 {count, sha256, items: [{id, sha256, size}], consistent,
 *                                        differences?, stores: {files, database?}}
 *   GET  /_fedops/standin/items/<id>  -> 200 the body (from its file; from its row if the file is gone)
 *
 * Each item is kept twice, as an app keeps uploads and rows:
 *   file  <root>/<first data path>/standin-items/<id>, written to a temporary file, fsynced, renamed
 *         into place (never over an existing file), and the folder fsynced;
 *   row   standin_items in the app's first database on the machine PostgreSQL (app-servers/
 *         postgres.js), written by psql over the machine's Unix socket as the database's owner role.
 *         The body reaches psql on stdin as base64 in a psql variable (`decode(:'b64', 'base64')`):
 *         no byte of it is ever SQL text.
 * The id is the table's bigserial (nextval, then the file, then the row, so a failed file write
 * leaves no row and a failed row write removes the file); an app without a database numbers its
 * files. An app without data paths keeps nothing and answers 404 here.
 *
 * The listing is computed from both stores: `sha256` is the digest of the lines "<id> <sha256>
 * <size>\n" of every item in id order (listingDigest), `consistent` says whether the files and the
 * rows hold the same items with the same bytes, and `differences` says what differs where they do
 * not. The top-level items are the files'; `stores` gives each store's count and digest.
 */
'use strict';

const crypto = require('node:crypto');
const fsp = require('node:fs/promises');
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { postgresConnection } = require('./postgres.js');
const { PG_BIN } = require('./processes.js');

const ITEMS_PATH = '/_fedops/standin/items';
const ITEMS_DIR = 'standin-items';
const MAX_ITEM_BYTES = 1024 * 1024;
// The same binaries as app-servers/postgres.js.
const PSQL_TIMEOUT_MS = 30000;
/** psql's field and record separators in our output: bytes no value of ours contains. */
const FIELD = '\x1f';
const RECORD = '\x1e';
const ID = /^[1-9][0-9]{0,14}$/;
const HEX64 = /^[0-9a-f]{64}$/;

const SETUP_SQL = `SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS standin_items (id bigserial primary key, sha256 text not null, size int not null, body bytea not null, created_at timestamptz default now());
`;

/** An answer this API gives on purpose: an HTTP status and a message. */
class ItemError extends Error {
  constructor(status, message, options) {
    super(message, options);
    this.status = status;
  }
}

// --- pure helpers (unit-tested in standin-data.spec.ts) ----------------------------------------

/** What a request path asks for: undefined (not this API), {kind: 'collection'} or {kind: 'item', id?}. */
function itemRoute(pathname) {
  if (pathname === ITEMS_PATH || pathname === `${ITEMS_PATH}/`) return { kind: 'collection' };
  if (!pathname.startsWith(`${ITEMS_PATH}/`)) return undefined;
  const rest = pathname.slice(ITEMS_PATH.length + 1);
  return ID.test(rest) ? { kind: 'item', id: Number(rest) } : { kind: 'item', id: undefined };
}

function sha256Hex(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** The digest of a listing: sha256 over "<id> <sha256> <size>\n" per item, in id order. */
function listingDigest(items) {
  const hash = crypto.createHash('sha256');
  for (const item of [...items].sort((a, b) => a.id - b.id))
    hash.update(`${item.id} ${item.sha256} ${item.size}\n`);
  return hash.digest('hex');
}

/**
 * Where the files ([{id, sha256, size}]) and the rows ([{id, sha256, size, bodySha256, bodySize}]:
 * the stored columns and what the body really is) disagree: [{id, problem, file?, row?}].
 */
function storeDifferences(files, rows) {
  const byId = new Map();
  for (const f of files) byId.set(f.id, { file: f });
  for (const r of rows) byId.set(r.id, { ...byId.get(r.id), row: r });
  const differences = [];
  for (const id of [...byId.keys()].sort((a, b) => a - b)) {
    const { file, row } = byId.get(id);
    const fileView = file === undefined ? undefined : { sha256: file.sha256, size: file.size };
    const rowView = row === undefined ? undefined : { sha256: row.bodySha256, size: row.bodySize };
    if (row === undefined) differences.push({ id, problem: 'file without a row', file: fileView });
    else if (file === undefined) differences.push({ id, problem: 'row without a file', row: rowView });
    else if (file.sha256 !== row.bodySha256 || file.size !== row.bodySize)
      differences.push({
        id,
        problem: 'the file and the row hold different bytes',
        file: fileView,
        row: rowView,
      });
    if (row !== undefined && (row.sha256 !== row.bodySha256 || row.size !== row.bodySize))
      differences.push({
        id,
        problem: "the row's sha256 or size does not match its body",
        row: { ...rowView, storedSha256: row.sha256, storedSize: row.size },
      });
  }
  return differences;
}

/** psql -A -t output with our separators -> arrays of fields (no records -> []). */
function parseRecords(stdout) {
  const text = stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout;
  if (text === '') return [];
  return text.split(RECORD).map((record) => record.split(FIELD));
}

/** Rows of the listing query -> [{id, sha256, size, bodySha256, bodySize}]. */
function parseRows(stdout) {
  return parseRecords(stdout).map((fields) => {
    if (fields.length !== 5) throw new Error(`unexpected psql output: ${JSON.stringify(fields)}`);
    const [id, sha256, size, bodySha256, bodySize] = fields;
    return { id: Number(id), sha256, size: Number(size), bodySha256, bodySize: Number(bodySize) };
  });
}

/**
 * The psql script that inserts an item whose id, sha256 and size are psql variables (-v, checked
 * values): the body's base64 (only [A-Za-z0-9+/=], so a plain quoted \set is exact) becomes a psql
 * variable and is decoded by PostgreSQL; the row answers its body's digest for a check.
 */
function insertScript(body) {
  const b64 = Buffer.from(body).toString('base64');
  return `${SETUP_SQL}\\set b64 '${b64}'
INSERT INTO standin_items (id, sha256, size, body) VALUES (:'id'::bigint, :'sha256', :'size'::int, decode(:'b64', 'base64')) RETURNING encode(sha256(body), 'hex');
`;
}

// --- the stores ---------------------------------------------------------------------------------

/** Runs psql as `database`'s owner role on the machine's socket; resolves with stdout. */
function psql(root, database, script, vars = {}) {
  const { host, port } = postgresConnection(root);
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-F', FIELD, '-R', RECORD];
  for (const [name, value] of Object.entries(vars)) args.push('-v', `${name}=${value}`);
  args.push('-h', host, '-p', String(port), '-U', database, '-d', database);
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(PG_BIN, 'psql'), args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH || '/usr/bin:/bin',
        PGCONNECT_TIMEOUT: '5',
        PGAPPNAME: 'fedops-standin',
        PGCLIENTENCODING: 'UTF8',
      },
    });
    const out = [];
    const err = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), PSQL_TIMEOUT_MS);
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ItemError(503, `cannot run psql: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else
        reject(
          new ItemError(
            503,
            `the database ${database} is unavailable: psql ${signal ? `killed (${signal})` : `exited ${code}`}: ${stderr.split('\n').slice(-3).join(' | ')}`,
          ),
        );
    });
    child.stdin.end(script);
  });
}

async function fsyncDir(dir) {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

let tmpCounter = 0;

/** Writes `file` whole or not at all: a temporary file, fsync, rename (never over a file), fsync of the folder. */
async function writeNewFile(file, bytes) {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.tmp-${process.pid}-${++tmpCounter}`);
  const handle = await fsp.open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    // Writes are serialised per app (one process), so nothing but a hand can make `file` meanwhile.
    if (fs.existsSync(file))
      throw new ItemError(409, `${file} exists already: the files and the database disagree about ids`);
    await fsp.rename(tmp, file);
  } finally {
    await fsp.rm(tmp, { force: true });
  }
  await fsyncDir(dir);
}

/** One app's items: files under its first data path and, when it has one, rows in its first database. */
class ItemStore {
  constructor(root, dir, database) {
    this.root = root;
    this.dir = dir;
    this.database = database;
    this.queue = Promise.resolve();
  }

  /** Runs `fn` after every earlier write or listing of this store (one app is one process). */
  exclusive(fn) {
    const result = this.queue.then(fn, fn);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** The item files' ids, ascending; none when the folder is missing. */
  fileIds() {
    let names = [];
    try {
      names = fs.readdirSync(this.dir);
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    return names
      .filter((n) => ID.test(n))
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** How many item files there are (the health answer's `items`). */
  count() {
    return this.fileIds().length;
  }

  add(body) {
    return this.exclusive(async () => {
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o750 });
      const sha256 = sha256Hex(body);
      const size = body.length;
      const id =
        this.database === undefined
          ? (this.fileIds().pop() ?? 0) + 1
          : Number(
              (
                await psql(
                  this.root,
                  this.database,
                  `${SETUP_SQL}SELECT nextval(pg_get_serial_sequence('standin_items', 'id'));\n`,
                )
              ).trim(),
            );
      if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`no usable id (${id})`);
      const file = path.join(this.dir, String(id));
      await writeNewFile(file, body);
      if (this.database !== undefined) {
        try {
          const stored = (
            await psql(this.root, this.database, insertScript(body), { id, sha256, size })
          ).trim();
          if (stored !== sha256) throw new Error(`the row's body has sha256 ${stored}, not ${sha256}`);
        } catch (err) {
          // No file without its row: the item was not stored.
          await fsp.rm(file, { force: true });
          await fsyncDir(this.dir);
          throw err;
        }
      }
      return { id, sha256, size };
    });
  }

  /** The files' items, hashed from their bytes: [{id, sha256, size}]. */
  async fileItems() {
    const items = [];
    for (const id of this.fileIds()) {
      let bytes;
      try {
        bytes = await fsp.readFile(path.join(this.dir, String(id)));
      } catch (err) {
        if (err.code === 'ENOENT') continue; // removed meanwhile
        throw err;
      }
      items.push({ id, sha256: sha256Hex(bytes), size: bytes.length });
    }
    return items;
  }

  async rowItems() {
    return parseRows(
      await psql(
        this.root,
        this.database,
        `${SETUP_SQL}SELECT id, sha256, size, encode(sha256(body), 'hex'), octet_length(body) FROM standin_items ORDER BY id;\n`,
      ),
    );
  }

  list() {
    return this.exclusive(async () => {
      const files = await this.fileItems();
      const summary = (items) => ({ count: items.length, sha256: listingDigest(items) });
      const view = { ...summary(files), items: files };
      if (this.database === undefined)
        return { ...view, consistent: true, stores: { files: summary(files) } };
      const rows = await this.rowItems();
      const differences = storeDifferences(files, rows);
      const rowView = rows.map((r) => ({ id: r.id, sha256: r.bodySha256, size: r.bodySize }));
      return {
        ...view,
        consistent: differences.length === 0,
        ...(differences.length === 0 ? {} : { differences }),
        stores: { files: summary(files), database: { name: this.database, ...summary(rowView) } },
      };
    });
  }

  /** An item's body: {body, source: 'file' | 'database'}, or undefined when neither store has it. */
  async get(id) {
    try {
      return { body: await fsp.readFile(path.join(this.dir, String(id))), source: 'file' };
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
    }
    if (this.database === undefined) return undefined;
    const out = await psql(
      this.root,
      this.database,
      `${SETUP_SQL}SELECT encode(body, 'base64') FROM standin_items WHERE id = :'id'::bigint;\n`,
      { id },
    );
    const records = parseRecords(out);
    if (records.length === 0) return undefined;
    return { body: Buffer.from(records[0][0].replace(/\s+/g, ''), 'base64'), source: 'database' };
  }
}

/** The store of a manifest app, or undefined for an app without data paths (it keeps nothing). */
function createItemStore(root, app) {
  const dataPath = (app.dataPaths || [])[0];
  if (typeof dataPath !== 'string' || !dataPath.startsWith('/')) return undefined;
  const database = (app.databases || [])[0];
  return new ItemStore(
    root,
    path.join(root, dataPath, ITEMS_DIR),
    typeof database === 'string' ? database : undefined,
  );
}

// --- HTTP -------------------------------------------------------------------------------------

function sendJson(res, status, value, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(`${JSON.stringify(value)}\n`);
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    // Past the limit the rest is read and dropped, and the 413 goes out only once the whole body
    // is in: answering earlier makes Node close the connection under nginx, which then says 502.
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () =>
      size > limit
        ? reject(new ItemError(413, `an item is at most ${limit} bytes`))
        : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

/**
 * Answers a request of this API and returns true, or returns false for any other path. `store`:
 * createItemStore's (undefined: the app keeps no data, 404). `log(message)` reports writes and faults.
 */
function handleItemRequest(store, req, res, pathname, log) {
  const route = itemRoute(pathname);
  if (route === undefined) return false;
  const method = req.method ?? 'GET';
  const answer = async () => {
    if (store === undefined) {
      req.resume();
      return sendJson(res, 404, { error: 'this app keeps no data here: it has no data paths' });
    }
    if (route.kind === 'collection' && method === 'POST') {
      const body = await readBody(req, MAX_ITEM_BYTES);
      if (body.length === 0) throw new ItemError(400, 'an item needs a body');
      const item = await store.add(body);
      log(`stored item ${item.id} (${item.size} bytes, sha256 ${item.sha256})`);
      return sendJson(res, 201, item, { Location: `${ITEMS_PATH}/${item.id}` });
    }
    req.resume();
    if (method !== 'GET' && method !== 'HEAD') {
      const allow = route.kind === 'collection' ? 'GET, HEAD, POST' : 'GET, HEAD';
      return sendJson(res, 405, { error: `${method} is not allowed here` }, { Allow: allow });
    }
    if (route.kind === 'collection') return sendJson(res, 200, await store.list());
    const found = route.id === undefined ? undefined : await store.get(route.id);
    if (found === undefined) return sendJson(res, 404, { error: 'no such item' });
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': found.body.length,
      'X-Fedops-Standin-Source': found.source,
    });
    res.end(found.body);
    return undefined;
  };
  answer().catch((err) => {
    const status = err instanceof ItemError ? err.status : 500;
    if (status >= 500)
      log(`${method} ${pathname} failed: ${err instanceof Error ? err.message : String(err)}`);
    if (res.headersSent) res.destroy();
    else
      sendJson(
        res,
        status,
        { error: err instanceof Error ? err.message : String(err) },
        { Connection: 'close' },
      );
  });
  return true;
}

module.exports = {
  ITEMS_PATH,
  ITEMS_DIR,
  MAX_ITEM_BYTES,
  itemRoute,
  listingDigest,
  storeDifferences,
  parseRecords,
  parseRows,
  insertScript,
  createItemStore,
  handleItemRequest,
};
