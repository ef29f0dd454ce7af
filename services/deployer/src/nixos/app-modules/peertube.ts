import type { NixValue } from '../nix-string';
import { adminEmail, bool, fqdn, httpPort, type AppModuleRenderer } from './app-module';

/**
 * PeerTube (services.peertube) with the module's own nginx virtual host, local PostgreSQL and Redis.
 * The `root` account's password is set on the first start from PT_INITIAL_ROOT_PASSWORD, read from
 * an environment file the platform delivers (so PeerTube does not print a random one to its log).
 * With the platform's relay, mail goes out through it with STARTTLS (`tls` false is not plain
 * text: PeerTube upgrades unless `disable_starttls`); the module's start script copies the relay
 * password from `smtp.passwordFile` into PeerTube's local.yaml, as the peertube user.
 */
export const peertubeRenderer: AppModuleRenderer = {
  renders: ['signupEnabled', 'transcoding', 'live', 'adminEmail'],
  ownsNginxVhost: ['web'],
  module(ctx) {
    const web = fqdn(ctx, 'web');
    const smtp: Record<string, NixValue> =
      ctx.smtp === undefined
        ? {}
        : {
            smtp: {
              transport: 'smtp',
              hostname: ctx.smtp.host,
              port: ctx.smtp.port,
              username: ctx.smtp.username,
              tls: false,
              disable_starttls: false,
              from_address: `notifications@${web}`,
            },
          };
    return {
      services: {
        peertube: {
          enable: true,
          localDomain: web,
          listenHttp: httpPort(ctx, 'web'),
          listenWeb: 443,
          enableWebHttps: true,
          configureNginx: true,
          database: { createLocally: true },
          redis: { createLocally: true },
          secrets: { secretsFile: ctx.secretFile('peertube-secret', 'peertube') },
          serviceEnvironmentFile: ctx.secretFile('admin-password'),
          ...(ctx.smtp === undefined ? {} : { smtp: { passwordFile: ctx.smtp.passwordFile('peertube') } }),
          settings: {
            listen: { hostname: '127.0.0.1' },
            admin: { email: adminEmail(ctx) },
            signup: { enabled: bool(ctx.options, 'signupEnabled') },
            transcoding: { enabled: bool(ctx.options, 'transcoding') },
            live: { enabled: bool(ctx.options, 'live') },
            ...smtp,
          },
        },
      },
    };
  },
};
