import { shellQuote } from '@fedops/service-kit';
import { nixExpr } from '../nix-string';
import { adminEmail, adminUnit, bool, fqdn, httpPort, str, type AppModuleRenderer } from './app-module';

/**
 * GoToSocial (services.gotosocial, `settings` rendered to its config.yaml) on the machine's
 * PostgreSQL through its unix socket. Sign-ups, when open, always wait for a moderator's approval
 * (GoToSocial dropped `accounts-approval-required`). The first admin is made with the module's
 * `gotosocial-admin` wrapper: it takes the password only as an argument, so the password is on that
 * process's command line for the moment it runs (never in the journal: the script does not echo).
 * No mail through the platform's relay yet: GoToSocial takes `smtp-password` only from its YAML
 * config or GTS_SMTP_PASSWORD (the module's `environmentFile`), and the relay password is delivered
 * as a bare file; a relay login without its password would fail every send.
 */
export const gotosocialRenderer: AppModuleRenderer = {
  renders: ['registrationsOpen', 'adminUsername', 'adminEmail'],
  ownsNginxVhost: [],
  module(ctx) {
    const user = str(ctx.options, 'adminUsername');
    return {
      services: {
        gotosocial: {
          enable: true,
          setupPostgresqlDB: true,
          settings: {
            host: fqdn(ctx, 'web'),
            protocol: 'https',
            'bind-address': '127.0.0.1',
            port: httpPort(ctx, 'web'),
            'db-type': 'postgres',
            'db-address': '/run/postgresql',
            'db-user': 'gotosocial',
            'db-database': 'gotosocial',
            'storage-local-base-path': '/var/lib/gotosocial/storage',
            'accounts-registration-open': bool(ctx.options, 'registrationsOpen'),
          },
        },
      },
      systemd: {
        services: {
          'fedops-gotosocial-admin': adminUnit({
            description: 'fedops: GoToSocial first admin',
            after: ['gotosocial.service'],
            requires: ['gotosocial.service'],
            path: [nixExpr('config.services.postgresql.package')],
            script: [
              `user=${shellQuote(user)}`,
              `if [ -n "$(runuser -u gotosocial -- psql -d gotosocial -tAc "SELECT 1 FROM accounts WHERE username = '$user' AND domain IS NULL")" ]; then`,
              '  echo "fedops: admin account $user exists"',
              'else',
              `  gotosocial-admin account create --username "$user" --email ${shellQuote(adminEmail(ctx))} --password "$(cat ${shellQuote(ctx.secretFile('admin-password'))})"`,
              '  gotosocial-admin account confirm --username "$user"',
              '  gotosocial-admin account promote --username "$user"',
              '  echo "fedops: admin account $user created"',
              'fi',
            ],
          }),
        },
      },
    };
  },
};
