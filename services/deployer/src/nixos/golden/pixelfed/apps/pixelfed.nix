# Pixelfed for this tenant, from the app catalog.
# Rendered by fedops. Do not edit.
{ config, lib, pkgs, modulesPath, ... }:
{
  services = {
    pixelfed = {
      database = {
        createLocally = true;
        type = "pgsql";
      };
      domain = "pixelfed.example.org";
      enable = true;
      nginx = { };
      redis = {
        createLocally = true;
      };
      secretFile = "/var/lib/fedops/secrets/pixelfed/app-key";
      settings = {
        FORCE_HTTPS_URLS = true;
        MAX_PHOTO_SIZE = 15000;
        OPEN_REGISTRATION = false;
      };
    };
  };
  systemd = {
    services = {
      fedops-pixelfed-admin = {
        after = [
          "pixelfed-data-setup.service"
          "phpfpm-pixelfed.service"
        ];
        description = "fedops: Pixelfed first admin";
        path = [
          config.services.postgresql.package
        ];
        requires = [
          "pixelfed-data-setup.service"
        ];
        script = "set -eu\nuser=owner\nif [ -n \"\$(runuser -u pixelfed -- psql -d pixelfed -tAc \"SELECT 1 FROM users WHERE username = '\$user'\")\" ]; then\n  echo \"fedops: admin account \$user exists\"\nelse\n  pixelfed-manage user:create --name=\"\$user\" --username=\"\$user\" --email=owner@example.org --password=\"\$(cat /var/lib/fedops/secrets/pixelfed/admin-password)\" --is_admin=1 --confirm_email=1 > /dev/null\n  echo \"fedops: admin account \$user created\"\nfi";
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
