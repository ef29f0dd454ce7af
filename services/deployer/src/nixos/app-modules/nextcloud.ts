import { nixExpr } from '../nix-string';
import { fqdn, str, type AppModuleRenderer } from './app-module';

/** The Nextcloud major the pinned nixpkgs release packages (the module asks for it explicitly). */
export const NEXTCLOUD_PACKAGE = 'pkgs.nextcloud32';

/**
 * Nextcloud (services.nextcloud) with the module's own nginx virtual host (PHP-FPM), local
 * PostgreSQL and Redis. The module creates the first admin itself from `config.adminuser` and
 * `config.adminpassFile` on install.
 */
export const nextcloudRenderer: AppModuleRenderer = {
  renders: ['adminUsername'],
  ownsNginxVhost: ['web'],
  module(ctx) {
    const endpoint = ctx.app.endpoints.find((e) => e.id === 'web');
    return {
      services: {
        nextcloud: {
          enable: true,
          package: nixExpr(NEXTCLOUD_PACKAGE),
          hostName: fqdn(ctx, 'web'),
          https: true,
          maxUploadSize: endpoint?.kind === 'http' ? endpoint.maxBodySize.toUpperCase() : '512M',
          configureRedis: true,
          database: { createLocally: true },
          config: {
            dbtype: 'pgsql',
            adminuser: str(ctx.options, 'adminUsername'),
            adminpassFile: ctx.secretFile('admin-password', 'nextcloud'),
          },
        },
      },
    };
  },
};
