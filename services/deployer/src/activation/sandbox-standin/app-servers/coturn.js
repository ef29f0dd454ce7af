/*
 * Launch recipe for coturn (Debian's 4.6.1, /usr/bin/turnserver, installed by scripts/ensure-deps.sh),
 * the TURN server of the `matrix` app, on a sandbox machine. Plain CommonJS, no dependencies: shipped
 * to sandbox machines next to fedops-standin-activate.js.
 *
 * coturnLaunch(options) is pure: it returns what to write and what to run, and does neither.
 *   { files: [{ path, content, mode }],   write these first (parents created, mode applied)
 *     dirs: [path],                       folders the server writes into (pid file, user database)
 *     prepare: [],                        nothing to run before the server
 *     command: [argv...], env: {}, cwd,   the server itself (runs in the foreground)
 *     inputs: [path],                     files it reads at start (certificate, key): a change restarts it
 *     readiness: { kind: 'stun', udp: [{host, port}], tcp: [{host, port}] } }
 *                                         up once a STUN binding request on 3478/udp is answered and
 *                                         3478/tcp and 5349/tcp (TLS) accept (see stunReady)
 *
 * The settings are the ones the NixOS module renders for services.coturn
 * (services/deployer/src/nixos/app-modules/matrix.ts, coturn()): realm = the TURN fqdn,
 * use-auth-secret with the delivered static-auth-secret (TURN REST credentials: user name
 * `<unix expiry>:<name>`, password base64(HMAC-SHA1(secret, user name)), as the homeserver hands them
 * to clients), ports 3478/3479 (UDP and TCP) and 5349/5350 (TLS and DTLS), relay ports
 * 49152-49999, no CLI, no relaying to multicast, loopback, private or link-local peers. Differences
 * from NixOS, all owed to the sandbox:
 *   - it listens and relays on the machine's address only (listening-ip, relay-ip), as every
 *     stand-in server does, since machines without network namespaces share the host's addresses;
 *     with one address coturn leaves the alt ports 3479/5350 closed (they serve RFC 5780, which
 *     needs two), so 3478 and 5349 are what clients reach;
 *   - its certificate is the machine front's self-signed one (ACME needs public DNS), whose SANs
 *     cover the TURN fqdn;
 *   - the secret is written into the config file (0600) rather than substituted at start from the
 *     secret file, which is what NixOS's module does into /run/coturn/turnserver.cfg anyway;
 *   - it runs as root like the rest of the stand-in (no proc-user): NixOS runs it as `turnserver`;
 *   - it keeps its (unused, empty) SQLite user database in the machine's folder, so machines on one
 *     host never share Debian's /var/lib/turn/turndb.
 */
'use strict';

const dgram = require('node:dgram');
const net = require('node:net');
const path = require('node:path');
const crypto = require('node:crypto');

/** The ports NixOS's module opens (matrix.ts TURN_PORTS) and the relay range (catalog TURN_RELAY_PORTS). */
const TURN_PORTS = { plain: 3478, altPlain: 3479, tls: 5349, altTls: 5350 };
const RELAY_PORTS = { from: 49152, to: 49999 };

/** Peers coturn never relays to (matrix.ts: TURN as an open proxy into the machine's networks). */
const DENIED_PEER_IPS = [
  '0.0.0.0-0.255.255.255',
  '10.0.0.0-10.255.255.255',
  '100.64.0.0-100.127.255.255',
  '127.0.0.0-127.255.255.255',
  '169.254.0.0-169.254.255.255',
  '172.16.0.0-172.31.255.255',
  '192.168.0.0-192.168.255.255',
  '::1',
  'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
];

/** A value of turnserver.conf: coturn reads `key=value` lines, so no spaces, line breaks or `#`. */
function confValue(value, name) {
  if (typeof value !== 'string' || value === '')
    throw new Error(`coturn: ${name} must be a non-empty string`);
  if (/[\s#\0]/.test(value)) throw new Error(`coturn: ${name} must not contain spaces, line breaks or #`);
  return value;
}

function absolute(value, name) {
  if (!path.isAbsolute(confValue(value, name))) throw new Error(`coturn: ${name} must be absolute`);
  return value;
}

/** Where a client on the machine reaches a server bound on `listenAddress`. */
function localAddress(listenAddress) {
  if (listenAddress === '0.0.0.0') return '127.0.0.1';
  if (listenAddress === '::') return '::1';
  return listenAddress;
}

function renderConfig(o) {
  // A wildcard address means coturn's default: every address of the machine.
  const wildcard = o.listenAddress === '0.0.0.0' || o.listenAddress === '::';
  return [
    '# Written by the fedops sandbox stand-in (app-servers/coturn.js) for coturn 4.6.1. Do not edit.',
    `realm=${confValue(o.realm, 'realm')}`,
    'use-auth-secret',
    `static-auth-secret=${confValue(o.staticAuthSecret, 'staticAuthSecret')}`,
    ...(wildcard ? [] : [`listening-ip=${o.listenAddress}`, `relay-ip=${o.listenAddress}`]),
    `listening-port=${TURN_PORTS.plain}`,
    `alt-listening-port=${TURN_PORTS.altPlain}`,
    `tls-listening-port=${TURN_PORTS.tls}`,
    `alt-tls-listening-port=${TURN_PORTS.altTls}`,
    `min-port=${RELAY_PORTS.from}`,
    `max-port=${RELAY_PORTS.to}`,
    'no-cli',
    `cert=${absolute(o.cert, 'cert')}`,
    `pkey=${absolute(o.key, 'key')}`,
    'no-multicast-peers',
    ...DENIED_PEER_IPS.map((range) => `denied-peer-ip=${range}`),
    // The file as named (no pid and date added to it, no daily rollover).
    `log-file=${absolute(o.logFile, 'logFile')}`,
    'simple-log',
    `pidfile=${absolute(o.pidFile, 'pidFile')}`,
    // Its own (empty) SQLite user database: never the host's /var/lib/turn/turndb, shared by machines.
    `userdb=${absolute(o.userDb, 'userDb')}`,
    '',
  ].join('\n');
}

/**
 * @param {{
 *   binary: string, realm: string, staticAuthSecret: string, listenAddress: string,
 *   configFile: string, cert: string, key: string, logFile: string, pidFile: string, userDb: string,
 * }} options
 */
function coturnLaunch(options) {
  const o = options;
  absolute(o.binary, 'binary');
  if (!/^[A-Za-z0-9.-]+$/.test(confValue(o.realm, 'realm')))
    throw new Error(`coturn: invalid realm ${o.realm}`);
  if (net.isIP(confValue(o.listenAddress, 'listenAddress')) === 0)
    throw new Error(`coturn: listenAddress must be an IP address, not ${o.listenAddress}`);
  absolute(o.configFile, 'configFile');
  const host = localAddress(o.listenAddress);
  const pidDir = path.dirname(absolute(o.pidFile, 'pidFile'));
  return {
    files: [{ path: o.configFile, content: renderConfig(o), mode: 0o600 }],
    dirs: [pidDir, path.dirname(absolute(o.userDb, 'userDb'))],
    prepare: [],
    // Its log goes to log-file only (the unit's stdout would repeat every line).
    command: [o.binary, '-c', o.configFile, '--no-stdout-log'],
    env: {},
    cwd: pidDir,
    inputs: [o.cert, o.key],
    // Not the alt ports: coturn opens them only with a second listening address of the same family
    // (RFC 5780 NAT behaviour discovery), which a sandbox machine, with its one address, never has.
    readiness: {
      kind: 'stun',
      udp: [{ host, port: TURN_PORTS.plain }],
      tcp: [TURN_PORTS.plain, TURN_PORTS.tls].map((port) => ({ host, port })),
    },
  };
}

const STUN_MAGIC_COOKIE = 0x2112a442;

/** True when a STUN Binding request (RFC 5389) to host:port gets a Binding success response in time. */
function stunBindingAnswered(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const transaction = crypto.randomBytes(12);
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0); // Binding request, no attributes
    request.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
    transaction.copy(request, 8);
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('error', () => finish(false));
    socket.on('message', (msg) => {
      if (
        msg.length >= 20 &&
        msg.readUInt16BE(0) === 0x0101 &&
        msg.readUInt32BE(4) === STUN_MAGIC_COOKIE &&
        msg.subarray(8, 20).equals(transaction)
      )
        finish(true);
    });
    socket.send(request, port, host, (err) => (err ? finish(false) : undefined));
  });
}

/** True when host:port accepts a TCP connection in time. */
function tcpAccepts(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.on('connect', () => finish(true));
    socket.on('error', () => finish(false));
  });
}

/** True when every listener of a `stun` readiness answers (one round of probes). */
async function stunReady(readiness, timeoutMs = 250) {
  const results = await Promise.all([
    ...readiness.udp.map((t) => stunBindingAnswered(t.host, t.port, timeoutMs)),
    ...readiness.tcp.map((t) => tcpAccepts(t.host, t.port, timeoutMs)),
  ]);
  return results.every(Boolean);
}

module.exports = {
  coturnLaunch,
  stunReady,
  stunBindingAnswered,
  TURN_PORTS,
  RELAY_PORTS,
  DENIED_PEER_IPS,
};
