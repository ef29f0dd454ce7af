/*
 * Launch recipe for Dendrite (a Matrix homeserver) on a sandbox machine. Plain CommonJS, no
 * dependencies: it is shipped to sandbox machines next to fedops-standin-activate.js.
 *
 * dendriteLaunch(options) is pure: it returns what to write and what to run, and does neither.
 *   { files: [{ path, content, mode }],   write these first (parents created, mode applied)
 *     prepare: [{ command, creates }],    then run each command whose `creates` file is missing
 *     command: [argv...], env: {...}, cwd, the server itself (runs in the foreground)
 *     healthPath }                        GET http://<listenAddress>:<port><healthPath> is 200 when up
 *
 * Federation is off (sandbox machines have no public name), registration is closed unless
 * `registrationOpen` (then anyone registers without verification, as the NixOS module renders
 * Synapse's enable_registration_without_verification), accounts are made with the shared secret
 * (dendriteCreateAccount, or POST /_synapse/admin/v1/register), and no key perspectives are
 * configured, so the server never calls matrix.org. With `turn`, signed-in clients get credentials
 * for the machine's coturn from /voip/turnServer (Synapse's turn_uris and turn_shared_secret). Built by
 * scripts/ensure-app-servers.sh (binaries: libs/sandbox-host/src/app-servers.ts).
 */
'use strict';

const path = require('node:path');

const HEALTH_PATH = '/_dendrite/monitor/health';
const CONFIG_FILE = 'dendrite.yaml';
const KEY_FILE = 'matrix_key.pem';

/** A YAML scalar: JSON strings are valid YAML double-quoted strings. */
function yamlString(value) {
  return JSON.stringify(String(value));
}

function requireString(value, name) {
  if (typeof value !== 'string' || value === '')
    throw new Error(`dendrite: ${name} must be a non-empty string`);
  if (/[\r\n\0]/.test(value)) throw new Error(`dendrite: ${name} must not contain line breaks`);
  return value;
}

function requirePort(value, name) {
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    throw new Error(`dendrite: ${name} must be a TCP port`);
  return value;
}

/** `host:port`, with IPv6 addresses in brackets. */
function hostPort(host, port) {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Where a client on the machine reaches a server bound on `listenAddress`. */
function localAddress(listenAddress) {
  if (listenAddress === '0.0.0.0') return '127.0.0.1';
  if (listenAddress === '::') return '::1';
  return listenAddress;
}

/**
 * lib/pq URL; a host starting with `/` is a Unix socket folder. Without a password (a socket with
 * trust or peer authentication) the URL carries none.
 */
function postgresUrl(db) {
  const host = requireString(db.host, 'database.host');
  const user = encodeURIComponent(requireString(db.user, 'database.user'));
  const credentials =
    db.password === undefined
      ? user
      : `${user}:${encodeURIComponent(requireString(db.password, 'database.password'))}`;
  const name = encodeURIComponent(requireString(db.name, 'database.name'));
  const port = requirePort(db.port, 'database.port');
  if (host.startsWith('/')) {
    return `postgresql://${credentials}@/${name}?host=${encodeURIComponent(host)}&port=${port}&sslmode=disable`;
  }
  return `postgresql://${credentials}@${hostPort(host, port)}/${name}?sslmode=disable`;
}

function paths(dataDir) {
  return {
    config: path.join(dataDir, CONFIG_FILE),
    key: path.join(dataDir, KEY_FILE),
    media: path.join(dataDir, 'media'),
    jetstream: path.join(dataDir, 'jetstream'),
    searchIndex: path.join(dataDir, 'searchindex'),
  };
}

/**
 * client_api.turn: what GET /_matrix/client/v3/voip/turnServer hands a signed-in client. With a
 * shared secret (coturn's static-auth-secret) Dendrite makes TURN REST credentials per request:
 * user name `<unix expiry>:<user id>`, password base64(HMAC-SHA1(secret, user name)). Without
 * `turn` nothing is written and the endpoint answers {} (no TURN server).
 */
function renderTurn(turn) {
  if (turn === undefined) return '';
  return `  turn:
    turn_user_lifetime: ${yamlString(turn.userLifetime)}
    turn_uris:
${turn.uris.map((uri) => `      - ${yamlString(uri)}`).join('\n')}
    turn_shared_secret: ${yamlString(turn.sharedSecret)}
`;
}

/** The dendrite.yaml; every key not written here keeps Dendrite's built-in default. */
function renderConfig(o, p) {
  return `# Written by the fedops sandbox stand-in (app-servers/dendrite.js). Dendrite v0.13.8, config version 2.
version: 2
global:
  server_name: ${yamlString(o.serverName)}
  private_key: ${yamlString(p.key)}
  database:
    connection_string: ${yamlString(postgresUrl(o.database))}
    max_open_conns: ${o.database.maxOpenConns ?? 10}
    max_idle_conns: 2
    conn_max_lifetime: -1
  cache:
    max_size_estimated: ${yamlString(o.cacheSize ?? '64mb')}
    max_age: 1h
  disable_federation: true
  trusted_third_party_id_servers: []
  presence:
    enable_inbound: false
    enable_outbound: false
  report_stats:
    enabled: false
  jetstream:
    storage_path: ${yamlString(p.jetstream)}
    topic_prefix: Dendrite
  metrics:
    enabled: false
app_service_api:
  config_files: []
client_api:
  registration_disabled: ${o.registrationOpen === true ? 'false' : 'true'}
  guests_disabled: true
  registration_shared_secret: ${yamlString(o.secrets.registrationSharedSecret)}
  enable_registration_captcha: false
  rate_limiting:
    enabled: true
    threshold: 20
    cooloff_ms: 500
${renderTurn(o.turn)}federation_api:
  key_perspectives: []
media_api:
  base_path: ${yamlString(p.media)}
  max_file_size_bytes: 10485760
  dynamic_thumbnails: false
  max_thumbnail_generators: 2
sync_api:
  search:
    enabled: false
    index_path: ${yamlString(p.searchIndex)}
    language: en
user_api:
  bcrypt_cost: 10
logging:
  - type: std
    level: info
`;
}

/**
 * @param {{
 *   serverName: string, listenAddress: string, port: number, dataDir: string, binDir: string,
 *   database: { host: string, port: number, user: string, password?: string, name: string, maxOpenConns?: number },
 *   secrets: { registrationSharedSecret: string },
 *   cacheSize?: string, registrationOpen?: boolean,
 *   turn?: { uris: string[], sharedSecret: string, userLifetime: string },
 * }} options
 */
function dendriteLaunch(options) {
  const o = options;
  requireString(o.serverName, 'serverName');
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(o.serverName))
    throw new Error(`dendrite: invalid serverName ${o.serverName}`);
  requireString(o.listenAddress, 'listenAddress');
  requirePort(o.port, 'port');
  if (!path.isAbsolute(requireString(o.dataDir, 'dataDir')))
    throw new Error('dendrite: dataDir must be absolute');
  if (!path.isAbsolute(requireString(o.binDir, 'binDir')))
    throw new Error('dendrite: binDir must be absolute');
  if (o.database === null || typeof o.database !== 'object')
    throw new Error('dendrite: database is required');
  if (o.secrets === null || typeof o.secrets !== 'object') throw new Error('dendrite: secrets are required');
  requireString(o.secrets.registrationSharedSecret, 'secrets.registrationSharedSecret');
  if (o.turn !== undefined) {
    if (!Array.isArray(o.turn.uris) || o.turn.uris.length === 0)
      throw new Error('dendrite: turn.uris must list at least one URI');
    o.turn.uris.forEach((uri, i) => requireString(uri, `turn.uris[${i}]`));
    requireString(o.turn.sharedSecret, 'turn.sharedSecret');
    if (!/^\d+[smh]$/.test(requireString(o.turn.userLifetime, 'turn.userLifetime')))
      throw new Error(`dendrite: turn.userLifetime must be a duration like 1h, not ${o.turn.userLifetime}`);
  }
  const p = paths(o.dataDir);
  return {
    files: [{ path: p.config, content: renderConfig(o, p), mode: 0o600 }],
    // The signing key is made once and kept: a new key would be a new server identity.
    prepare: [{ command: [path.join(o.binDir, 'generate-keys'), '-private-key', p.key], creates: p.key }],
    command: [
      path.join(o.binDir, 'dendrite'),
      '-config',
      p.config,
      '-http-bind-address',
      hostPort(o.listenAddress, o.port),
      '-https-bind-address',
      '', // no TLS listener: the machine's reverse proxy terminates TLS
      // Dendrite refuses open registration without a captcha unless told so on its command line.
      ...(o.registrationOpen === true ? ['-really-enable-open-registration'] : []),
    ],
    env: {},
    cwd: o.dataDir,
    healthPath: HEALTH_PATH,
  };
}

/**
 * The command that makes an account on a running server (create-account registers through the
 * shared-secret API at -url). The password is read from `passwordFile` (-passwordfile), so it is not
 * on any command line.
 *
 * @param {{ listenAddress: string, port: number, dataDir: string, binDir: string }} launch same as dendriteLaunch
 * @param {{ username: string, passwordFile: string, admin?: boolean }} account
 */
function dendriteCreateAccount(launch, account) {
  requireString(account.username, 'username');
  if (!/^[a-z0-9._=/-]+$/.test(account.username))
    throw new Error(`dendrite: invalid username ${account.username}`);
  if (!path.isAbsolute(requireString(account.passwordFile, 'passwordFile')))
    throw new Error('dendrite: passwordFile must be absolute');
  const url = `http://${hostPort(localAddress(launch.listenAddress), requirePort(launch.port, 'port'))}`;
  return {
    command: [
      path.join(launch.binDir, 'create-account'),
      '-config',
      paths(launch.dataDir).config,
      '-url',
      url,
      '-username',
      account.username,
      '-passwordfile',
      account.passwordFile,
      ...(account.admin === false ? [] : ['-admin']),
    ],
    env: {},
  };
}

module.exports = { dendriteLaunch, dendriteCreateAccount, DENDRITE_HEALTH_PATH: HEALTH_PATH };
