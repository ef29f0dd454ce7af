# PeerTube for this tenant, from the app catalog.
# Rendered by fedops. Do not edit.
{ config, lib, pkgs, modulesPath, ... }:
{
  services = {
    peertube = {
      configureNginx = true;
      database = {
        createLocally = true;
      };
      enable = true;
      enableWebHttps = true;
      listenHttp = 9000;
      listenWeb = 443;
      localDomain = "video.example.org";
      redis = {
        createLocally = true;
      };
      secrets = {
        secretsFile = "/var/lib/fedops/secrets/peertube/peertube/peertube-secret";
      };
      serviceEnvironmentFile = "/var/lib/fedops/secrets/peertube/admin-password";
      settings = {
        admin = {
          email = "owner@example.org";
        };
        listen = {
          hostname = "127.0.0.1";
        };
        live = {
          enabled = false;
        };
        signup = {
          enabled = false;
        };
        transcoding = {
          enabled = true;
        };
      };
    };
  };
}
