import { shellQuote } from '@fedops/service-kit';
import { nixExpr, nixString, type NixValue } from '../nix-string';
import { adminEmail, adminUnit, bool, fqdn, httpPort, str, type AppModuleRenderer } from './app-module';

/** `tootctl settings registrations` takes these words for the catalog's modes. */
const REGISTRATIONS: Record<string, string> = { open: 'open', approval: 'approved', closed: 'close' };

/**
 * Creates the first admin (role Owner) unless an account of that name exists. The password is read
 * from its file here, so it is on no command line and in no output (`tootctl accounts create` would
 * print a random one to the journal).
 */
const ADMIN_SCRIPT = `username, email, password_file = ARGV
if Account.find_local(username)
  puts "fedops: admin account #{username} exists"
else
  user = User.new(email: email, password: File.read(password_file).strip, agreement: true,
                  account: Account.new(username: username), role: UserRole.find_by!(name: 'Owner'),
                  confirmed_at: Time.now.utc)
  user.bypass_registration_checks = true if user.respond_to?(:bypass_registration_checks=)
  user.bypass_invite_request_check = true if user.respond_to?(:bypass_invite_request_check=)
  user.save!
  user.approve! unless user.approved?
  puts "fedops: admin account #{username} created"
end
`;

/**
 * Mastodon (services.mastodon). The web process listens on TCP (the catalog port) instead of a unix
 * socket; `configureNginx` makes the module write its own virtual host (ACME, forceSSL, streaming
 * and body size). Secrets come from files the platform delivers (Mastodon 4.4 dropped OTP_SECRET
 * for the Active Record encryption keys). Registrations are a database
 * setting and the admin a database row, so a oneshot sets both once the database is initialised.
 */
export const mastodonRenderer: AppModuleRenderer = {
  renders: ['registrations', 'singleUserMode', 'adminUsername', 'adminEmail'],
  ownsNginxVhost: ['web'],
  module(ctx) {
    const web = fqdn(ctx, 'web');
    const mode = REGISTRATIONS[str(ctx.options, 'registrations')];
    if (mode === undefined)
      throw new Error(`Unknown Mastodon registrations mode ${str(ctx.options, 'registrations')}`);
    const secret = (name: string): string => ctx.secretFile(name, 'mastodon');
    const smtp: Record<string, NixValue> =
      ctx.smtp === undefined
        ? { fromAddress: `notifications@${web}` }
        : {
            fromAddress: `notifications@${web}`,
            createLocally: false,
            host: ctx.smtp.host,
            port: ctx.smtp.port,
            authenticate: true,
            user: ctx.smtp.username,
            passwordFile: ctx.smtp.passwordFile('mastodon'),
          };
    return {
      services: {
        mastodon: {
          enable: true,
          localDomain: web,
          configureNginx: true,
          streamingProcesses: 1,
          enableUnixSocket: false,
          webPort: httpPort(ctx, 'web'),
          database: { createLocally: true },
          redis: { createLocally: true },
          secretKeyBaseFile: secret('secret-key-base'),
          activeRecordEncryptionPrimaryKeyFile: secret('ar-encryption-primary-key'),
          activeRecordEncryptionDeterministicKeyFile: secret('ar-encryption-deterministic-key'),
          activeRecordEncryptionKeyDerivationSaltFile: secret('ar-encryption-key-derivation-salt'),
          smtp,
          extraConfig: { SINGLE_USER_MODE: bool(ctx.options, 'singleUserMode') ? 'true' : 'false' },
        },
      },
      systemd: {
        services: {
          'fedops-mastodon-setup': adminUnit({
            description: 'fedops: Mastodon registrations mode and first admin',
            after: ['mastodon-init-db.service', 'mastodon-web.service'],
            requires: ['mastodon-init-db.service'],
            user: 'mastodon',
            environment: nixExpr(
              `config.systemd.services.mastodon-web.environment // { FEDOPS_ADMIN_SCRIPT = pkgs.writeText "fedops-mastodon-admin.rb" ${nixString(ADMIN_SCRIPT)}; }`,
            ),
            serviceConfig: {
              EnvironmentFile: nixExpr('config.systemd.services.mastodon-web.serviceConfig.EnvironmentFile'),
              WorkingDirectory: nixExpr('config.services.mastodon.package'),
            },
            script: [
              `./bin/tootctl settings registrations ${shellQuote(mode)}`,
              `./bin/rails runner "$FEDOPS_ADMIN_SCRIPT" ${shellQuote(str(ctx.options, 'adminUsername'))} ${shellQuote(adminEmail(ctx))} ${shellQuote(secret('admin-password'))}`,
            ],
          }),
        },
      },
    };
  },
};
