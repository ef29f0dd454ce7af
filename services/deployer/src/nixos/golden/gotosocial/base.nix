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
      allowedUDPPorts = [ ];
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
        "gts.example.org" = {
          enableACME = true;
          extraConfig = "client_max_body_size 40m;\n";
          forceSSL = true;
          locations = {
            "/" = {
              proxyPass = "http://127.0.0.1:8080";
              proxyWebsockets = true;
            };
          };
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
    postgresql = {
      enable = true;
      ensureDatabases = [
        "gotosocial"
      ];
      ensureUsers = [
        {
          ensureDBOwnership = true;
          name = "gotosocial";
        }
      ];
    };
  };
  system = {
    stateVersion = "26.11";
  };
}
