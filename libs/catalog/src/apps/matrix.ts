import type { AppDefinition } from '../app-definition';
import {
  LOWER_WORD_USERNAME,
  NO_BACKUP_HOOKS,
  adminPasswordSecret,
  adminUsernameOption,
  subdomainOption,
} from './common-options';

/** coturn's relay ports (min-port..max-port); the firewall opens them for UDP. */
export const TURN_RELAY_PORTS = { from: 49152, to: 49999 } as const;

export const matrix: AppDefinition = {
  id: 'matrix',
  name: 'Matrix',
  description:
    'Matrix homeserver (Synapse) for chat under the tenant domain, with the Element web client and a TURN server (coturn) for calls.',
  homepage: 'https://matrix.org',
  iconUrl: 'https://matrix.org/images/matrix-favicon.svg',
  license: 'AGPL-3.0-only',
  supportLevel: 'supported',
  package: 'matrix-synapse',
  options: {
    subdomain: subdomainOption('matrix', 'Label under the tenant domain the homeserver answers on.', 10),
    registrationOpen: {
      type: 'boolean',
      description: 'Let anyone register an account (otherwise only the admin creates them).',
      default: false,
      weight: 20,
    },
    element: { type: 'enable', description: 'Serve the Element web client.', default: true, weight: 30 },
    elementSubdomain: subdomainOption('element', 'Label Element web answers on.', 40),
    turn: {
      type: 'enable',
      description: 'Run a TURN server (coturn) for voice and video calls.',
      default: true,
      weight: 50,
    },
    turnSubdomain: subdomainOption('turn', 'Label of the TURN server.', 60),
    adminUsername: adminUsernameOption(70, LOWER_WORD_USERNAME),
  },
  endpoints: [
    {
      kind: 'http',
      id: 'homeserver',
      subdomainOption: 'subdomain',
      port: 8008,
      healthPath: '/health',
      maxBodySize: '50m',
    },
    {
      kind: 'http',
      id: 'element',
      subdomainOption: 'elementSubdomain',
      port: 8009,
      healthPath: '/config.json',
      maxBodySize: '1m',
      enabledBy: 'element',
    },
    {
      kind: 'host',
      id: 'turn',
      subdomainOption: 'turnSubdomain',
      purpose: 'TURN over TLS (coturn)',
      enabledBy: 'turn',
    },
    {
      kind: 'apex-path',
      id: 'well-known-server',
      path: '/.well-known/matrix/server',
      purpose: 'Delegates federation for the tenant domain to the homeserver.',
    },
    {
      kind: 'apex-path',
      id: 'well-known-client',
      path: '/.well-known/matrix/client',
      purpose: 'Tells clients where the homeserver of the tenant domain is.',
    },
  ],
  ports: [
    ...(['tcp', 'udp'] as const).flatMap((protocol) => [
      { protocol, port: 3478, purpose: 'TURN/STUN', enabledBy: 'turn' },
      { protocol, port: 3479, purpose: 'TURN/STUN (alternative port)', enabledBy: 'turn' },
      { protocol, port: 5349, purpose: 'TURN over TLS/DTLS', enabledBy: 'turn' },
      { protocol, port: 5350, purpose: 'TURN over TLS/DTLS (alternative port)', enabledBy: 'turn' },
    ]),
    {
      protocol: 'udp',
      port: TURN_RELAY_PORTS.from,
      to: TURN_RELAY_PORTS.to,
      purpose: 'TURN relay',
      enabledBy: 'turn',
    },
  ],
  secrets: [
    {
      name: 'registration-shared-secret',
      description: 'Lets the platform register the first admin (Synapse registration_shared_secret).',
      generate: { kind: 'hex', bytes: 32 },
      owners: ['matrix-synapse'],
    },
    {
      name: 'macaroon-secret-key',
      description: 'Signs access tokens (Synapse macaroon_secret_key).',
      generate: { kind: 'hex', bytes: 32 },
      owners: ['matrix-synapse'],
    },
    {
      name: 'form-secret',
      description: 'Signs consent and registration forms (Synapse form_secret).',
      generate: { kind: 'hex', bytes: 32 },
      owners: ['matrix-synapse'],
    },
    {
      name: 'turn-static-auth-secret',
      description: "coturn's static-auth-secret, shared with the homeserver's turn_shared_secret.",
      generate: { kind: 'hex', bytes: 32 },
      owners: ['matrix-synapse', 'turnserver'],
      enabledBy: 'turn',
    },
    adminPasswordSecret('matrix-synapse'),
  ],
  databases: [{ name: 'matrix-synapse' }],
  dataPaths: ['/var/lib/matrix-synapse'],
  backupHooks: NO_BACKUP_HOOKS,
  movable: true,
  admin: { username: { option: 'adminUsername' }, passwordSecret: 'admin-password' },
  resources: { vcpu: 1, memoryMiB: 2048, diskGiB: 10 },
};
