# Nextcloud for this tenant, from the app catalog.
# Rendered by fedops. Do not edit.
{ config, lib, pkgs, modulesPath, ... }:
{
  services = {
    nextcloud = {
      config = {
        adminpassFile = "/var/lib/fedops/secrets/nextcloud/nextcloud/admin-password";
        adminuser = "owner";
        dbtype = "pgsql";
      };
      configureRedis = true;
      database = {
        createLocally = true;
      };
      enable = true;
      hostName = "cloud.example.org";
      https = true;
      maxUploadSize = "10G";
      package = pkgs.nextcloud32;
    };
  };
}
