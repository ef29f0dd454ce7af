import type { AppDefinition } from '../app-definition';
import {
  ADMIN_FROM_OPTIONS,
  NO_BACKUP_HOOKS,
  adminEmailOption,
  adminPasswordSecret,
  adminUsernameOption,
  subdomainOption,
} from './common-options';

/** Names Forgejo (like Gitea) keeps for its own routes and refuses as user names. */
const FORGEJO_RESERVED_USERNAMES = [
  'admin',
  'api',
  'assets',
  'explore',
  'login',
  'user',
  'org',
  'repo',
] as const;

export const forgejo: AppDefinition = {
  id: 'forgejo',
  name: 'Forgejo',
  description: 'Self-hosted Git forge: repositories, issues, pull requests, packages.',
  homepage: 'https://forgejo.org',
  iconUrl: 'https://forgejo.org/images/forgejo-wordmark.svg',
  license: 'GPL-3.0-or-later',
  supportLevel: 'supported',
  package: 'forgejo',
  options: {
    subdomain: subdomainOption('git', 'Label under the tenant domain Forgejo answers on.', 10),
    disableRegistration: {
      type: 'boolean',
      description: 'Only admins create accounts.',
      default: true,
      weight: 20,
    },
    lfs: { type: 'boolean', description: 'Store large files with Git LFS.', default: false, weight: 30 },
    adminUsername: adminUsernameOption(40, {
      pattern: '^[a-z0-9][a-z0-9_.-]{0,29}$',
      hint: 'lower-case letters, digits, ., _ and - (starting with a letter or digit)',
      reserved: FORGEJO_RESERVED_USERNAMES,
    }),
    adminEmail: adminEmailOption(50),
  },
  endpoints: [
    {
      kind: 'http',
      id: 'web',
      subdomainOption: 'subdomain',
      port: 3001,
      healthPath: '/api/healthz',
      maxBodySize: '512m',
    },
  ],
  ports: [],
  secrets: [adminPasswordSecret('forgejo')],
  databases: [{ name: 'forgejo' }],
  dataPaths: ['/var/lib/forgejo'],
  backupHooks: NO_BACKUP_HOOKS,
  movable: true,
  admin: ADMIN_FROM_OPTIONS,
  resources: { vcpu: 1, memoryMiB: 1024, diskGiB: 10 },
};
