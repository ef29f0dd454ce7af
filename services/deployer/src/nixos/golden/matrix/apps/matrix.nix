# Matrix for this tenant, from the app catalog.
# Rendered by fedops. Do not edit.
{ config, lib, pkgs, modulesPath, ... }:
{
  security = {
    acme = {
      certs = {
        "turn.example.org" = {
          group = "turnserver";
          reloadServices = [
            "coturn.service"
          ];
        };
      };
    };
  };
  services = {
    coturn = {
      alt-listening-port = 3479;
      alt-tls-listening-port = 5350;
      cert = "${config.security.acme.certs."turn.example.org".directory}/full.pem";
      enable = true;
      extraConfig = "no-multicast-peers\ndenied-peer-ip=0.0.0.0-0.255.255.255\ndenied-peer-ip=10.0.0.0-10.255.255.255\ndenied-peer-ip=100.64.0.0-100.127.255.255\ndenied-peer-ip=127.0.0.0-127.255.255.255\ndenied-peer-ip=169.254.0.0-169.254.255.255\ndenied-peer-ip=172.16.0.0-172.31.255.255\ndenied-peer-ip=192.168.0.0-192.168.255.255\ndenied-peer-ip=::1\ndenied-peer-ip=fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\ndenied-peer-ip=fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n";
      listening-port = 3478;
      max-port = 49999;
      min-port = 49152;
      no-cli = true;
      pkey = "${config.security.acme.certs."turn.example.org".directory}/key.pem";
      realm = "turn.example.org";
      static-auth-secret-file = "/var/lib/fedops/secrets/matrix/turnserver/turn-static-auth-secret";
      tls-listening-port = 5349;
      use-auth-secret = true;
    };
    matrix-synapse = {
      enable = true;
      settings = {
        database = {
          allow_unsafe_locale = true;
          args = {
            database = "matrix-synapse";
            host = "/run/postgresql";
            user = "matrix-synapse";
          };
          name = "psycopg2";
        };
        enable_registration = false;
        form_secret_path = "/var/lib/fedops/secrets/matrix/matrix-synapse/form-secret";
        listeners = [
          {
            bind_addresses = [
              "127.0.0.1"
            ];
            port = 8008;
            resources = [
              {
                compress = true;
                names = [
                  "client"
                  "federation"
                ];
              }
            ];
            tls = false;
            type = "http";
            x_forwarded = true;
          }
        ];
        macaroon_secret_key_path = "/var/lib/fedops/secrets/matrix/matrix-synapse/macaroon-secret-key";
        public_baseurl = "https://matrix.example.org/";
        registration_shared_secret_path = "/var/lib/fedops/secrets/matrix/matrix-synapse/registration-shared-secret";
        server_name = "example.org";
        turn_shared_secret_path = "/var/lib/fedops/secrets/matrix/matrix-synapse/turn-static-auth-secret";
        turn_uris = [
          "turns:turn.example.org:5349?transport=udp"
          "turns:turn.example.org:5349?transport=tcp"
          "turn:turn.example.org:3478?transport=udp"
          "turn:turn.example.org:3478?transport=tcp"
        ];
        turn_user_lifetime = "1h";
      };
    };
    nginx = {
      virtualHosts = {
        "element.example.org" = {
          root = pkgs.element-web.override { conf = { default_server_config = { "m.homeserver" = { base_url = "https://matrix.example.org"; server_name = "example.org"; }; }; disable_custom_urls = true; }; };
        };
      };
    };
  };
  systemd = {
    services = {
      fedops-matrix-admin = {
        after = [
          "matrix-synapse.service"
        ];
        description = "fedops: Matrix first admin";
        environment = {
          FEDOPS_REGISTER_CONFIG = pkgs.writeText "fedops-matrix-register.yaml" "registration_shared_secret_path: /var/lib/fedops/secrets/matrix/matrix-synapse/registration-shared-secret\n";
        };
        path = [
          config.services.matrix-synapse.package
        ];
        requires = [
          "matrix-synapse.service"
        ];
        script = "set -eu\nregister_new_matrix_user --exists-ok --admin --config \"\$FEDOPS_REGISTER_CONFIG\" --user owner --password-file /var/lib/fedops/secrets/matrix/matrix-synapse/admin-password http://127.0.0.1:8008";
        serviceConfig = {
          RemainAfterExit = true;
          Type = "oneshot";
          User = "matrix-synapse";
        };
        wantedBy = [
          "multi-user.target"
        ];
      };
    };
  };
  users = {
    users = {
      nginx = {
        extraGroups = [
          "turnserver"
        ];
      };
    };
  };
}
