import type { AppDefinition } from '../app-definition';
import { adminPasswordSecret, adminUsernameOption, subdomainOption } from './common-options';

export const nextcloud: AppDefinition = {
  id: 'nextcloud',
  name: 'Nextcloud',
  description: 'Files, calendars and contacts, synchronised across devices.',
  homepage: 'https://nextcloud.com',
  iconUrl: 'https://nextcloud.com/c/uploads/2022/03/favicon.png',
  license: 'AGPL-3.0-or-later',
  supportLevel: 'supported',
  package: 'nextcloud',
  options: {
    subdomain: subdomainOption('cloud', 'Label under the tenant domain Nextcloud answers on.', 10),
    adminUsername: adminUsernameOption(20, {
      pattern: '^[a-zA-Z0-9_.@-]{1,30}$',
      hint: 'letters, digits and _ . @ -',
    }),
  },
  endpoints: [
    {
      kind: 'http',
      id: 'web',
      subdomainOption: 'subdomain',
      port: 8011,
      healthPath: '/status.php',
      maxBodySize: '10g',
    },
  ],
  ports: [],
  secrets: [adminPasswordSecret('nextcloud')],
  databases: [{ name: 'nextcloud' }],
  dataPaths: ['/var/lib/nextcloud'],
  backupHooks: {
    before: ['nextcloud-occ maintenance:mode --on'],
    after: ['nextcloud-occ maintenance:mode --off'],
  },
  movable: true,
  admin: { username: { option: 'adminUsername' }, passwordSecret: 'admin-password' },
  resources: { vcpu: 1, memoryMiB: 2048, diskGiB: 20 },
};
