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

export const gotosocial: AppDefinition = {
  id: 'gotosocial',
  name: 'GoToSocial',
  description: 'Lightweight ActivityPub server for small instances.',
  homepage: 'https://gotosocial.org',
  iconUrl: 'https://gotosocial.org/assets/logo.svg',
  license: 'AGPL-3.0-only',
  supportLevel: 'beta',
  package: 'gotosocial',
  options: {
    subdomain: subdomainOption('gts', 'Label under the tenant domain GoToSocial answers on.', 10),
    registrationsOpen: {
      type: 'boolean',
      description: 'Let people ask for an account; a moderator approves each sign-up.',
      default: false,
      weight: 20,
    },
    adminUsername: adminUsernameOption(30, LOWER_WORD_USERNAME),
    adminEmail: adminEmailOption(40),
  },
  endpoints: [
    {
      kind: 'http',
      id: 'web',
      subdomainOption: 'subdomain',
      port: 8080,
      healthPath: '/readyz',
      maxBodySize: '40m',
    },
  ],
  ports: [],
  secrets: [adminPasswordSecret()],
  databases: [{ name: 'gotosocial' }],
  dataPaths: ['/var/lib/gotosocial'],
  backupHooks: NO_BACKUP_HOOKS,
  movable: true,
  admin: ADMIN_FROM_OPTIONS,
  resources: { vcpu: 1, memoryMiB: 512, diskGiB: 5 },
};
