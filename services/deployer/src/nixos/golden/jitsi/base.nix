# Base of every fedops machine: SSH, firewall, ACME, nginx in front of the apps, PostgreSQL.
# Rendered by fedops. Do not edit.
{ config, lib, pkgs, modulesPath, ... }:
{
  environment = {
    systemPackages = [
      pkgs.restic
    ];
  };
  networking = {
    firewall = {
      allowedTCPPortRanges = [ ];
      allowedTCPPorts = [
        22
        80
        443
      ];
      allowedUDPPortRanges = [ ];
      allowedUDPPorts = [
        10000
      ];
      enable = true;
    };
    hostName = "fedops-tenant-1";
  };
  nix = {
    settings = {
      experimental-features = [
        "nix-command"
        "flakes"
      ];
    };
  };
  security = {
    acme = {
      acceptTerms = true;
      defaults = {
        email = "hostmaster@example.org";
      };
    };
  };
  services = {
    nginx = {
      enable = true;
      recommendedGzipSettings = true;
      recommendedOptimisation = true;
      recommendedProxySettings = true;
      recommendedTlsSettings = true;
      virtualHosts = {
        "meet.example.org" = {
          enableACME = true;
          forceSSL = true;
        };
      };
    };
    openssh = {
      enable = true;
      settings = {
        KbdInteractiveAuthentication = false;
        PasswordAuthentication = false;
        PermitRootLogin = "prohibit-password";
      };
    };
  };
  system = {
    stateVersion = "26.11";
  };
}
