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
        "cloud.example.org" = {
          enableACME = true;
          forceSSL = true;
        };
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
        "git.example.org" = {
          enableACME = true;
          extraConfig = "client_max_body_size 512m;\n";
          forceSSL = true;
          locations = {
            "/" = {
              proxyPass = "http://127.0.0.1:3001";
              proxyWebsockets = true;
            };
          };
        };
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
        "meet.example.org" = {
          enableACME = true;
          forceSSL = true;
        };
        "pixelfed.example.org" = {
          enableACME = true;
          forceSSL = true;
        };
        "social.example.org" = {
          enableACME = true;
          forceSSL = true;
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
        "video.example.org" = {
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
    postgresql = {
      enable = true;
      ensureDatabases = [
        "forgejo"
        "gotosocial"
        "mastodon"
        "matrix-synapse"
        "nextcloud"
        "peertube"
        "pixelfed"
      ];
      ensureUsers = [
        {
          ensureDBOwnership = true;
          name = "forgejo";
        }
        {
          ensureDBOwnership = true;
          name = "gotosocial";
        }
        {
          ensureDBOwnership = true;
          name = "mastodon";
        }
        {
          ensureDBOwnership = true;
          name = "matrix-synapse";
        }
        {
          ensureDBOwnership = true;
          name = "nextcloud";
        }
        {
          ensureDBOwnership = true;
          name = "peertube";
        }
        {
          ensureDBOwnership = true;
          name = "pixelfed";
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
        text = "chown -R forgejo: /var/lib/fedops/secrets/forgejo/forgejo\nchown -R mastodon: /var/lib/fedops/secrets/mastodon/mastodon\nchown -R matrix-synapse: /var/lib/fedops/secrets/matrix/matrix-synapse\nchown -R turnserver: /var/lib/fedops/secrets/matrix/turnserver\nchown -R nextcloud: /var/lib/fedops/secrets/nextcloud/nextcloud\nchown -R peertube: /var/lib/fedops/secrets/peertube/peertube";
      };
    };
    stateVersion = "26.11";
  };
}
