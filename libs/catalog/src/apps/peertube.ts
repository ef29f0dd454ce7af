import type { AppDefinition } from '../app-definition';
import { NO_BACKUP_HOOKS, adminEmailOption, subdomainOption } from './common-options';

export const peertube: AppDefinition = {
  id: 'peertube',
  name: 'PeerTube',
  description: 'Video hosting and live streaming on the fediverse (ActivityPub).',
  homepage: 'https://joinpeertube.org',
  iconUrl: 'https://joinpeertube.org/img/brand.png',
  license: 'AGPL-3.0-only',
  supportLevel: 'beta',
  package: 'peertube',
  options: {
    subdomain: subdomainOption('video', 'Label under the tenant domain PeerTube answers on.', 10),
    signupEnabled: { type: 'boolean', description: 'Let anyone sign up.', default: false, weight: 20 },
    transcoding: {
      type: 'boolean',
      description: 'Transcode uploads to several resolutions (needs CPU).',
      default: true,
      weight: 30,
    },
    live: {
      type: 'enable',
      description: 'Allow live streams (RTMP on port 1935).',
      default: false,
      weight: 40,
    },
    adminEmail: adminEmailOption(50),
  },
  endpoints: [
    {
      kind: 'http',
      id: 'web',
      subdomainOption: 'subdomain',
      port: 9000,
      healthPath: '/api/v1/ping',
      maxBodySize: '12g',
    },
  ],
  ports: [{ protocol: 'tcp', port: 1935, purpose: 'RTMP live streams', enabledBy: 'live' }],
  secrets: [
    {
      name: 'peertube-secret',
      description: "PeerTube's secrets.peertube (signs sessions and tokens).",
      generate: { kind: 'hex', bytes: 32 },
      owners: ['peertube'],
    },
    {
      name: 'admin-password',
      description: 'Password of the `root` account, set on the first start.',
      generate: { kind: 'password', bytes: 24 },
      file: { env: 'PT_INITIAL_ROOT_PASSWORD' },
    },
  ],
  databases: [{ name: 'peertube' }],
  dataPaths: ['/var/lib/peertube'],
  backupHooks: NO_BACKUP_HOOKS,
  movable: true,
  admin: { username: { fixed: 'root' }, emailOption: 'adminEmail', passwordSecret: 'admin-password' },
  resources: { vcpu: 2, memoryMiB: 4096, diskGiB: 50 },
};
