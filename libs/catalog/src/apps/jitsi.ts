import type { AppDefinition } from '../app-definition';
import { NO_BACKUP_HOOKS, subdomainOption } from './common-options';

export const jitsi: AppDefinition = {
  id: 'jitsi',
  name: 'Jitsi Meet',
  description: 'Video meetings in the browser, no account needed to join.',
  homepage: 'https://jitsi.org/jitsi-meet/',
  iconUrl: 'https://jitsi.org/wp-content/uploads/2020/04/jitsi-logo-blue-grey-text.png',
  license: 'Apache-2.0',
  supportLevel: 'beta',
  package: 'jitsi-meet',
  options: {
    subdomain: subdomainOption('meet', 'Label under the tenant domain Jitsi Meet answers on.', 10),
    welcomePage: {
      type: 'boolean',
      description: 'Show the welcome page where anyone can start a meeting.',
      default: true,
      weight: 20,
    },
  },
  endpoints: [
    { kind: 'http', id: 'web', subdomainOption: 'subdomain', port: 8012, healthPath: '/', maxBodySize: '1m' },
  ],
  ports: [{ protocol: 'udp', port: 10000, purpose: 'Video bridge media (JVB)' }],
  // Prosody and the video bridge generate their own keys on the machine; meetings keep no data.
  secrets: [],
  databases: [],
  dataPaths: [],
  backupHooks: NO_BACKUP_HOOKS,
  movable: true,
  resources: { vcpu: 2, memoryMiB: 4096, diskGiB: 5 },
};
