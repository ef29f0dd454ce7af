import type { AppDefinition } from '../app-definition';
import {
  ADMIN_FROM_OPTIONS,
  LOWER_WORD_USERNAME,
  NO_BACKUP_HOOKS,
  adminEmailOption,
  adminPasswordSecret,
  adminUsernameOption,
  subdomainOption,
} from './common-options';

/** Usernames Mastodon's ReservedUsernameValidator refuses (app/validators/reserved_username_validator.rb). */
const MASTODON_RESERVED_USERNAMES = [
  'admin',
  'administrator',
  'help',
  'helpdesk',
  'mod',
  'moderator',
  'postmaster',
  'root',
  'security',
  'support',
  'webmaster',
] as const;

export const mastodon: AppDefinition = {
  id: 'mastodon',
  name: 'Mastodon',
  description: 'Decentralised microblogging on the fediverse (ActivityPub).',
  homepage: 'https://joinmastodon.org',
  iconUrl: 'https://joinmastodon.org/logos/logo-purple.svg',
  license: 'AGPL-3.0-or-later',
  supportLevel: 'supported',
  package: 'mastodon',
  options: {
    subdomain: subdomainOption('social', 'Label under the tenant domain Mastodon answers on.', 10),
    registrations: {
      type: 'enum',
      description: 'Who may sign up: anyone, anyone after approval by a moderator, or nobody.',
      values: ['open', 'approval', 'closed'],
      default: 'approval',
      weight: 20,
    },
    singleUserMode: {
      type: 'boolean',
      description: 'Open the instance for one account only (the admin).',
      default: false,
      weight: 30,
    },
    adminUsername: adminUsernameOption(40, { ...LOWER_WORD_USERNAME, reserved: MASTODON_RESERVED_USERNAMES }),
    adminEmail: adminEmailOption(50),
  },
  endpoints: [
    {
      kind: 'http',
      id: 'web',
      subdomainOption: 'subdomain',
      port: 3000,
      healthPath: '/health',
      maxBodySize: '100m',
    },
  ],
  ports: [],
  secrets: [
    {
      name: 'secret-key-base',
      description: 'Rails SECRET_KEY_BASE.',
      generate: { kind: 'hex', bytes: 64 },
      owners: ['mastodon'],
    },
    {
      name: 'ar-encryption-primary-key',
      description: 'ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY.',
      generate: { kind: 'base64', bytes: 32 },
      owners: ['mastodon'],
    },
    {
      name: 'ar-encryption-deterministic-key',
      description: 'ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY.',
      generate: { kind: 'base64', bytes: 32 },
      owners: ['mastodon'],
    },
    {
      name: 'ar-encryption-key-derivation-salt',
      description: 'ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT.',
      generate: { kind: 'base64', bytes: 32 },
      owners: ['mastodon'],
    },
    adminPasswordSecret('mastodon'),
  ],
  databases: [{ name: 'mastodon' }],
  dataPaths: ['/var/lib/mastodon'],
  backupHooks: NO_BACKUP_HOOKS,
  movable: true,
  admin: ADMIN_FROM_OPTIONS,
  resources: { vcpu: 2, memoryMiB: 4096, diskGiB: 20 },
};
