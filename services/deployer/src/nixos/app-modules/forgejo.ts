import { shellQuote } from '@fedops/service-kit';
import { nixExpr, type NixValue } from '../nix-string';
import { adminEmail, adminUnit, bool, fqdn, httpPort, str, type AppModuleRenderer } from './app-module';

/**
 * Forgejo (services.forgejo, `settings` rendered to app.ini) on the machine's PostgreSQL. Forgejo
 * generates its own internal secrets. The first admin is created with `forgejo admin user create`,
 * which takes the password only as an argument (no file flag): it is on that process's command line
 * while it runs, never echoed.
 */
export const forgejoRenderer: AppModuleRenderer = {
  renders: ['disableRegistration', 'lfs', 'adminUsername', 'adminEmail'],
  ownsNginxVhost: [],
  module(ctx) {
    const web = fqdn(ctx, 'web');
    const mailer: Record<string, NixValue> =
      ctx.smtp === undefined
        ? { ENABLED: false }
        : {
            ENABLED: true,
            PROTOCOL: 'smtp+starttls',
            SMTP_ADDR: ctx.smtp.host,
            SMTP_PORT: ctx.smtp.port,
            USER: ctx.smtp.username,
            FROM: `forgejo@${web}`,
          };
    return {
      services: {
        forgejo: {
          enable: true,
          database: { type: 'postgres', createDatabase: true },
          lfs: { enable: bool(ctx.options, 'lfs') },
          settings: {
            server: {
              DOMAIN: web,
              ROOT_URL: `https://${web}/`,
              PROTOCOL: 'http',
              HTTP_ADDR: '127.0.0.1',
              HTTP_PORT: httpPort(ctx, 'web'),
            },
            service: { DISABLE_REGISTRATION: bool(ctx.options, 'disableRegistration') },
            session: { COOKIE_SECURE: true },
            mailer,
          },
          ...(ctx.smtp === undefined
            ? {}
            : { secrets: { mailer: { PASSWD: ctx.smtp.passwordFile('forgejo') } } }),
        },
      },
      systemd: {
        services: {
          'fedops-forgejo-admin': adminUnit({
            description: 'fedops: Forgejo first admin',
            after: ['forgejo.service'],
            requires: ['forgejo.service'],
            user: 'forgejo',
            path: [nixExpr('config.services.forgejo.package')],
            environment: nixExpr('config.systemd.services.forgejo.environment'),
            script: [
              `user=${shellQuote(str(ctx.options, 'adminUsername'))}`,
              `if forgejo admin user list --admin | awk 'NR > 1 { print $2 }' | grep -qxF "$user"; then`,
              '  echo "fedops: admin account $user exists"',
              'else',
              `  forgejo admin user create --admin --username "$user" --email ${shellQuote(adminEmail(ctx))} --must-change-password=false --password "$(cat ${shellQuote(ctx.secretFile('admin-password', 'forgejo'))})" > /dev/null`,
              '  echo "fedops: admin account $user created"',
              'fi',
            ],
          }),
        },
      },
    };
  },
};
