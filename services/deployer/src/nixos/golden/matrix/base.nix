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
        3478
        3479
        5349
        5350
      ];
      allowedUDPPortRanges = [
        {
          from = 49152;
          to = 49999;
        }
      ];
      allowedUDPPorts = [
        3478
        3479
        5349
        5350
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
        "element.example.org" = {
          enableACME = true;
          forceSSL = true;
        };
        "example.org" = {
          enableACME = true;
          forceSSL = true;
          locations = {
            "= /.well-known/matrix/client" = {
              extraConfig = "default_type application/json;\nadd_header Access-Control-Allow-Origin \"*\";\n";
              return = "200 '{\"m.homeserver\":{\"base_url\":\"https://matrix.example.org\"},\"m.server_name\":\"example.org\"}'";
            };
            "= /.well-known/matrix/server" = {
              extraConfig = "default_type application/json;\nadd_header Access-Control-Allow-Origin \"*\";\n";
              return = "200 '{\"m.server\":\"matrix.example.org:443\"}'";
            };
          };
        };
        "matrix.example.org" = {
          enableACME = true;
          extraConfig = "client_max_body_size 50m;\n";
          forceSSL = true;
          locations = {
            "/" = {
              proxyPass = "http://127.0.0.1:8008";
              proxyWebsockets = true;
            };
          };
        };
        "turn.example.org" = {
          enableACME = true;
          forceSSL = true;
          locations = {
            "/" = {
              return = "404";
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
        "matrix-synapse"
      ];
      ensureUsers = [
        {
          ensureDBOwnership = true;
          name = "matrix-synapse";
        }
      ];
    };
  };
  system = {
    activationScripts = {
      fedops-secret-owners = {
        deps = [
          "users"
          "groups"
        ];
        text = "chown -R matrix-synapse: /var/lib/fedops/secrets/matrix/matrix-synapse\nchown -R turnserver: /var/lib/fedops/secrets/matrix/turnserver";
      };
    };
    stateVersion = "26.11";
  };
}
