import { nixExpr, type NixValue } from '../nix-string';
import { fqdn, str, type AppModuleRenderer } from './app-module';

/** The Nextcloud major the pinned nixpkgs release packages (the module asks for it explicitly). */
export const NEXTCLOUD_PACKAGE = 'pkgs.nextcloud32';

/**
 * Nextcloud (services.nextcloud) with the module's own nginx virtual host (PHP-FPM), local
 * PostgreSQL and Redis. The module creates the first admin itself from `config.adminuser` and
 * `config.adminpassFile` on install. With the platform's relay, mail goes out through it
 * (`mail_smtpsecure` stays empty: Nextcloud then upgrades with STARTTLS, `ssl` would be implicit
 * TLS); the relay password reaches config.php through the module's `secrets`, which systemd
 * loads as a credential (LoadCredential, as root: root's copy of the file).
 */
export const nextcloudRenderer: AppModuleRenderer = {
  renders: ['adminUsername'],
  ownsNginxVhost: ['web'],
  module(ctx) {
    const endpoint = ctx.app.endpoints.find((e) => e.id === 'web');
    const web = fqdn(ctx, 'web');
    const mail: Record<string, NixValue> =
      ctx.smtp === undefined
        ? {}
        : {
            settings: {
              mail_smtpmode: 'smtp',
              mail_smtphost: ctx.smtp.host,
              mail_smtpport: ctx.smtp.port,
              mail_smtpauth: true,
              mail_smtpname: ctx.smtp.username,
              mail_from_address: 'notifications',
              mail_domain: web,
            },
            secrets: { mail_smtppassword: ctx.smtp.passwordFile() },
          };
    return {
      services: {
        nextcloud: {
          enable: true,
          package: nixExpr(NEXTCLOUD_PACKAGE),
          hostName: web,
          https: true,
          maxUploadSize: endpoint?.kind === 'http' ? endpoint.maxBodySize.toUpperCase() : '512M',
          configureRedis: true,
          database: { createLocally: true },
          config: {
            dbtype: 'pgsql',
            adminuser: str(ctx.options, 'adminUsername'),
            adminpassFile: ctx.secretFile('admin-password', 'nextcloud'),
          },
          ...mail,
        },
      },
    };
  },
};
