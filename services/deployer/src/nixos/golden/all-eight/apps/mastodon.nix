# Mastodon for this tenant, from the app catalog.
# Rendered by fedops. Do not edit.
{ config, lib, pkgs, modulesPath, ... }:
{
  services = {
    mastodon = {
      activeRecordEncryptionDeterministicKeyFile = "/var/lib/fedops/secrets/mastodon/mastodon/ar-encryption-deterministic-key";
      activeRecordEncryptionKeyDerivationSaltFile = "/var/lib/fedops/secrets/mastodon/mastodon/ar-encryption-key-derivation-salt";
      activeRecordEncryptionPrimaryKeyFile = "/var/lib/fedops/secrets/mastodon/mastodon/ar-encryption-primary-key";
      configureNginx = true;
      database = {
        createLocally = true;
      };
      enable = true;
      enableUnixSocket = false;
      extraConfig = {
        SINGLE_USER_MODE = "false";
      };
      localDomain = "social.example.org";
      redis = {
        createLocally = true;
      };
      secretKeyBaseFile = "/var/lib/fedops/secrets/mastodon/mastodon/secret-key-base";
      smtp = {
        fromAddress = "notifications@social.example.org";
      };
      streamingProcesses = 1;
      webPort = 3000;
    };
  };
  systemd = {
    services = {
      fedops-mastodon-setup = {
        after = [
          "mastodon-init-db.service"
          "mastodon-web.service"
        ];
        description = "fedops: Mastodon registrations mode and first admin";
        environment = config.systemd.services.mastodon-web.environment // { FEDOPS_ADMIN_SCRIPT = pkgs.writeText "fedops-mastodon-admin.rb" "username, email, password_file = ARGV\nif Account.find_local(username)\n  puts \"fedops: admin account #{username} exists\"\nelse\n  user = User.new(email: email, password: File.read(password_file).strip, agreement: true,\n                  account: Account.new(username: username), role: UserRole.find_by!(name: 'Owner'),\n                  confirmed_at: Time.now.utc)\n  user.bypass_registration_checks = true if user.respond_to?(:bypass_registration_checks=)\n  user.bypass_invite_request_check = true if user.respond_to?(:bypass_invite_request_check=)\n  user.save!\n  user.approve! unless user.approved?\n  puts \"fedops: admin account #{username} created\"\nend\n"; };
        requires = [
          "mastodon-init-db.service"
        ];
        script = "set -eu\n./bin/tootctl settings registrations approved\n./bin/rails runner \"\$FEDOPS_ADMIN_SCRIPT\" owner owner@example.org /var/lib/fedops/secrets/mastodon/mastodon/admin-password";
        serviceConfig = {
          EnvironmentFile = config.systemd.services.mastodon-web.serviceConfig.EnvironmentFile;
          RemainAfterExit = true;
          Type = "oneshot";
          User = "mastodon";
          WorkingDirectory = config.services.mastodon.package;
        };
        wantedBy = [
          "multi-user.target"
        ];
      };
    };
  };
}
