import { adminEmail, bool, fqdn, httpPort, type AppModuleRenderer } from './app-module';

/**
 * PeerTube (services.peertube) with the module's own nginx virtual host, local PostgreSQL and Redis.
 * The `root` account's password is set on the first start from PT_INITIAL_ROOT_PASSWORD, read from
 * an environment file the platform delivers (so PeerTube does not print a random one to its log).
 */
export const peertubeRenderer: AppModuleRenderer = {
  renders: ['signupEnabled', 'transcoding', 'live', 'adminEmail'],
  ownsNginxVhost: ['web'],
  module(ctx) {
    return {
      services: {
        peertube: {
          enable: true,
          localDomain: fqdn(ctx, 'web'),
          listenHttp: httpPort(ctx, 'web'),
          listenWeb: 443,
          enableWebHttps: true,
          configureNginx: true,
          database: { createLocally: true },
          redis: { createLocally: true },
          secrets: { secretsFile: ctx.secretFile('peertube-secret', 'peertube') },
          serviceEnvironmentFile: ctx.secretFile('admin-password'),
          settings: {
            listen: { hostname: '127.0.0.1' },
            admin: { email: adminEmail(ctx) },
            signup: { enabled: bool(ctx.options, 'signupEnabled') },
            transcoding: { enabled: bool(ctx.options, 'transcoding') },
            live: { enabled: bool(ctx.options, 'live') },
          },
        },
      },
    };
  },
};
