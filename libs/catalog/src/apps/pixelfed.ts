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

export const pixelfed: AppDefinition = {
  id: 'pixelfed',
  name: 'Pixelfed',
  description: 'Photo sharing on the fediverse (ActivityPub).',
  homepage: 'https://pixelfed.org',
  iconUrl: 'https://pixelfed.org/img/logo.svg',
  license: 'AGPL-3.0-only',
  supportLevel: 'beta',
  package: 'pixelfed',
  options: {
    subdomain: subdomainOption('pixelfed', 'Label under the tenant domain Pixelfed answers on.', 10),
    registrationsOpen: { type: 'boolean', description: 'Let anyone sign up.', default: false, weight: 20 },
    maxPhotoSizeKiB: {
      type: 'integer',
      description: 'Largest photo upload, in KiB.',
      default: 15000,
      min: 1024,
      max: 102400,
      weight: 30,
    },
    adminUsername: adminUsernameOption(40, LOWER_WORD_USERNAME),
    adminEmail: adminEmailOption(50),
  },
  endpoints: [
    {
      kind: 'http',
      id: 'web',
      subdomainOption: 'subdomain',
      port: 8010,
      healthPath: '/api/service/health-check',
      maxBodySize: '110m',
    },
  ],
  ports: [],
  secrets: [
    {
      name: 'app-key',
      description: 'Laravel APP_KEY (encrypts sessions and stored secrets).',
      generate: { kind: 'base64', bytes: 32 },
      file: { env: 'APP_KEY', valuePrefix: 'base64:' },
    },
    adminPasswordSecret(),
  ],
  databases: [{ name: 'pixelfed' }],
  dataPaths: ['/var/lib/pixelfed'],
  backupHooks: NO_BACKUP_HOOKS,
  movable: true,
  admin: ADMIN_FROM_OPTIONS,
  resources: { vcpu: 1, memoryMiB: 2048, diskGiB: 20 },
};
