# Forgejo for this tenant, from the app catalog.
# Rendered by fedops. Do not edit.
{ config, lib, pkgs, modulesPath, ... }:
{
  services = {
    forgejo = {
      database = {
        createDatabase = true;
        type = "postgres";
      };
      enable = true;
      lfs = {
        enable = false;
      };
      settings = {
        mailer = {
          ENABLED = false;
        };
        server = {
          DOMAIN = "git.example.org";
          HTTP_ADDR = "127.0.0.1";
          HTTP_PORT = 3001;
          PROTOCOL = "http";
          ROOT_URL = "https://git.example.org/";
        };
        service = {
          DISABLE_REGISTRATION = true;
        };
        session = {
          COOKIE_SECURE = true;
        };
      };
    };
  };
  systemd = {
    services = {
      fedops-forgejo-admin = {
        after = [
          "forgejo.service"
        ];
        description = "fedops: Forgejo first admin";
        environment = config.systemd.services.forgejo.environment;
        path = [
          config.services.forgejo.package
        ];
        requires = [
          "forgejo.service"
        ];
        script = "set -eu\nuser=owner\nif forgejo admin user list --admin | awk 'NR > 1 { print \$2 }' | grep -qxF \"\$user\"; then\n  echo \"fedops: admin account \$user exists\"\nelse\n  forgejo admin user create --admin --username \"\$user\" --email owner@example.org --must-change-password=false --password \"\$(cat /var/lib/fedops/secrets/forgejo/forgejo/admin-password)\" > /dev/null\n  echo \"fedops: admin account \$user created\"\nfi";
        serviceConfig = {
          RemainAfterExit = true;
          Type = "oneshot";
          User = "forgejo";
        };
        wantedBy = [
          "multi-user.target"
        ];
      };
    };
  };
}
