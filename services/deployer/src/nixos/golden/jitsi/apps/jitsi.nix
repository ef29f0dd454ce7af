# Jitsi Meet for this tenant, from the app catalog.
# Rendered by fedops. Do not edit.
{ config, lib, pkgs, modulesPath, ... }:
{
  services = {
    jitsi-meet = {
      config = {
        enableWelcomePage = true;
      };
      enable = true;
      hostName = "meet.example.org";
      nginx = {
        enable = true;
      };
    };
    jitsi-videobridge = {
      openFirewall = false;
    };
  };
}
