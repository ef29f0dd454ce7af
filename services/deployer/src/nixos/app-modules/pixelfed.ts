import { shellQuote } from '@fedops/service-kit';
import { nixExpr } from '../nix-string';
import { adminEmail, adminUnit, bool, fqdn, int, str, type AppModuleRenderer } from './app-module';

/**
 * Pixelfed (services.pixelfed): PHP-FPM behind the module's own nginx virtual host, on the machine's
 * PostgreSQL. APP_KEY comes from an environment file the platform delivers (`secretFile`). The first
 * admin is made with `pixelfed-manage user:create`, which takes the password only as an argument.
 * No mail through the platform's relay yet: MAIL_PASSWORD could only come through `secretFile`
 * (appended to .env as `NAME=value` lines, and already the app key's file), and the relay password
 * is delivered as a bare file; a relay login without its password would fail every send.
 */
export const pixelfedRenderer: AppModuleRenderer = {
  renders: ['registrationsOpen', 'maxPhotoSizeKiB', 'adminUsername', 'adminEmail'],
  ownsNginxVhost: ['web'],
  module(ctx) {
    const user = str(ctx.options, 'adminUsername');
    return {
      services: {
        pixelfed: {
          enable: true,
          domain: fqdn(ctx, 'web'),
          secretFile: ctx.secretFile('app-key'),
          database: { createLocally: true, type: 'pgsql' },
          redis: { createLocally: true },
          nginx: {},
          settings: {
            OPEN_REGISTRATION: bool(ctx.options, 'registrationsOpen'),
            MAX_PHOTO_SIZE: int(ctx.options, 'maxPhotoSizeKiB'),
            FORCE_HTTPS_URLS: true,
          },
        },
      },
      systemd: {
        services: {
          'fedops-pixelfed-admin': adminUnit({
            description: 'fedops: Pixelfed first admin',
            after: ['pixelfed-data-setup.service', 'phpfpm-pixelfed.service'],
            requires: ['pixelfed-data-setup.service'],
            path: [nixExpr('config.services.postgresql.package')],
            script: [
              `user=${shellQuote(user)}`,
              `if [ -n "$(runuser -u pixelfed -- psql -d pixelfed -tAc "SELECT 1 FROM users WHERE username = '$user'")" ]; then`,
              '  echo "fedops: admin account $user exists"',
              'else',
              `  pixelfed-manage user:create --name="$user" --username="$user" --email=${shellQuote(adminEmail(ctx))} --password="$(cat ${shellQuote(ctx.secretFile('admin-password'))})" --is_admin=1 --confirm_email=1 > /dev/null`,
              '  echo "fedops: admin account $user created"',
              'fi',
            ],
          }),
        },
      },
    };
  },
};
