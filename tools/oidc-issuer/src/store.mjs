// What the issuer keeps in its data dir, so tokens and secrets survive a restart:
//   jwks.json            private signing keys (JWKS), generated with jose on first start
//   client-secrets.json  { "<client_id>": "<secret>" }, one random secret per client, generated on first use
// Both files are written atomically with mode 0600 and never printed.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

export const SIGNING_ALG = 'RS256';
export const JWKS_FILE = 'jwks.json';
export const SECRETS_FILE = 'client-secrets.json';

/** @typedef {import('jose').JWK & { kid: string }} PrivateJwk */

/**
 * The private signing keys, generated on first start.
 * @param {string} dataDir
 * @returns {Promise<{ keys: PrivateJwk[] }>}
 */
export async function loadOrCreateSigningKeys(dataDir) {
  const path = join(dataDir, JWKS_FILE);
  const existing = await readJson(path);
  if (existing !== undefined) {
    if (!isJwks(existing)) throw new Error(`${path} is not a JWKS with at least one key`);
    return existing;
  }
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  const jwks = { keys: [{ ...jwk, kid, alg: SIGNING_ALG, use: 'sig' }] };
  await writeSecretJson(dataDir, path, jwks);
  return jwks;
}

/**
 * One secret per client id; missing ones are generated and persisted, others kept as they are.
 * @param {string} dataDir
 * @param {string[]} clientIds
 * @returns {Promise<Record<string, string>>}
 */
export async function loadOrCreateClientSecrets(dataDir, clientIds) {
  const path = join(dataDir, SECRETS_FILE);
  const existing = (await readJson(path)) ?? {};
  if (!isStringRecord(existing)) throw new Error(`${path} must map client ids to secret strings`);
  const missing = clientIds.filter((id) => existing[id] === undefined);
  if (missing.length === 0) return existing;
  const secrets = { ...existing };
  for (const id of missing) secrets[id] = randomBytes(32).toString('base64url');
  await writeSecretJson(dataDir, path, secrets);
  return secrets;
}

/** @param {string} path @returns {Promise<unknown>} undefined when the file does not exist */
async function readJson(path) {
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON`, { cause: err });
  }
}

/** @param {string} dataDir @param {string} path @param {unknown} value */
async function writeSecretJson(dataDir, path, value) {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** @param {unknown} v @returns {v is { keys: PrivateJwk[] }} */
function isJwks(v) {
  if (typeof v !== 'object' || v === null || !('keys' in v) || !Array.isArray(v.keys)) return false;
  return (
    v.keys.length > 0 &&
    v.keys.every(
      (k) => typeof k === 'object' && k !== null && typeof k.kid === 'string' && typeof k.d === 'string',
    )
  );
}

/** @param {unknown} v @returns {v is Record<string, string>} */
function isStringRecord(v) {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((s) => typeof s === 'string')
  );
}
