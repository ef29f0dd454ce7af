# GoToSocial for this tenant, from the app catalog.
# Rendered by fedops. Do not edit.
{ config, lib, pkgs, modulesPath, ... }:
{
  services = {
    gotosocial = {
      enable = true;
      settings = {
        accounts-registration-open = false;
        bind-address = "127.0.0.1";
        db-address = "/run/postgresql";
        db-database = "gotosocial";
        db-type = "postgres";
        db-user = "gotosocial";
        host = "gts.example.org";
        port = 8080;
        protocol = "https";
        storage-local-base-path = "/var/lib/gotosocial/storage";
      };
      setupPostgresqlDB = true;
    };
  };
  systemd = {
    services = {
      fedops-gotosocial-admin = {
        after = [
          "gotosocial.service"
        ];
        description = "fedops: GoToSocial first admin";
        path = [
          config.services.postgresql.package
        ];
        requires = [
          "gotosocial.service"
        ];
        script = "set -eu\nuser=owner\nif [ -n \"\$(runuser -u gotosocial -- psql -d gotosocial -tAc \"SELECT 1 FROM accounts WHERE username = '\$user' AND domain IS NULL\")\" ]; then\n  echo \"fedops: admin account \$user exists\"\nelse\n  gotosocial-admin account create --username \"\$user\" --email owner@example.org --password \"\$(cat /var/lib/fedops/secrets/gotosocial/admin-password)\"\n  gotosocial-admin account confirm --username \"\$user\"\n  gotosocial-admin account promote --username \"\$user\"\n  echo \"fedops: admin account \$user created\"\nfi";
        serviceConfig = {
          RemainAfterExit = true;
          Type = "oneshot";
        };
        wantedBy = [
          "multi-user.target"
        ];
      };
    };
  };
}
