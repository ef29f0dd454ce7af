import { TURN_RELAY_PORTS } from '@fedops/catalog';
import { shellQuote } from '@fedops/service-kit';
import { nixExpr, nixString, type NixValue } from '../nix-string';
import {
  adminUnit,
  bool,
  fqdn,
  httpPort,
  mergeModules,
  str,
  type AppModuleContext,
  type AppModuleRenderer,
} from './app-module';

const TURN_PORTS = { plain: 3478, altPlain: 3479, tls: 5349, altTls: 5350 } as const;

/** What `/.well-known/matrix/{server,client}` on the tenant's domain answer: JSON that points at the homeserver. */
export function matrixWellKnown(homeserver: string, domain: string): { server: string; client: string } {
  return {
    server: JSON.stringify({ 'm.server': `${homeserver}:443` }),
    client: JSON.stringify({
      'm.homeserver': { base_url: `https://${homeserver}` },
      'm.server_name': domain,
    }),
  };
}

function coturn(ctx: AppModuleContext, turn: string): Record<string, NixValue> {
  const certDir = `config.security.acme.certs.${nixString(turn)}.directory`;
  return {
    services: {
      coturn: {
        enable: true,
        realm: turn,
        'use-auth-secret': true,
        'static-auth-secret-file': ctx.secretFile('turn-static-auth-secret', 'turnserver'),
        'listening-port': TURN_PORTS.plain,
        'alt-listening-port': TURN_PORTS.altPlain,
        'tls-listening-port': TURN_PORTS.tls,
        'alt-tls-listening-port': TURN_PORTS.altTls,
        'min-port': TURN_RELAY_PORTS.from,
        'max-port': TURN_RELAY_PORTS.to,
        'no-cli': true,
        cert: nixExpr(`"\${${certDir}}/full.pem"`),
        pkey: nixExpr(`"\${${certDir}}/key.pem"`),
        // Never relay to the machine's own or private networks (TURN as an open proxy).
        extraConfig: [
          'no-multicast-peers',
          'denied-peer-ip=0.0.0.0-0.255.255.255',
          'denied-peer-ip=10.0.0.0-10.255.255.255',
          'denied-peer-ip=100.64.0.0-100.127.255.255',
          'denied-peer-ip=127.0.0.0-127.255.255.255',
          'denied-peer-ip=169.254.0.0-169.254.255.255',
          'denied-peer-ip=172.16.0.0-172.31.255.255',
          'denied-peer-ip=192.168.0.0-192.168.255.255',
          'denied-peer-ip=::1',
          'denied-peer-ip=fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
          'denied-peer-ip=fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
          '',
        ].join('\n'),
      },
    },
    // The certificate nginx obtains for the TURN name, readable by coturn and reloaded into it.
    security: {
      acme: { certs: { [turn]: { group: 'turnserver', reloadServices: ['coturn.service'] } } },
    },
    users: { users: { nginx: { extraGroups: ['turnserver'] } } },
  };
}

/**
 * Matrix: Synapse (services.matrix-synapse) as the homeserver of the tenant's domain, behind nginx on
 * its own subdomain; `.well-known/matrix/{server,client}` on the apex (base module) delegate to it;
 * Element web as a static site on its subdomain; coturn for calls, its static-auth-secret shared with
 * Synapse's turn_shared_secret. Synapse's secrets are read from files (`*_path` settings). The first
 * admin is registered through the shared-secret API with `register_new_matrix_user`, which reads the
 * shared secret from a config file and the password from a file.
 * No mail through the platform's relay yet: Synapse reads `email.smtp_pass` only as a value in its
 * YAML (no `*_path` form in the Synapse sources read), the relay password is delivered as a bare
 * file, and an `email` block without it would offer e-mail verification and resets that never send.
 */
export const matrixRenderer: AppModuleRenderer = {
  renders: ['registrationOpen', 'element', 'turn', 'adminUsername'],
  ownsNginxVhost: ['element'],
  apexBodies(ctx) {
    const { server, client } = matrixWellKnown(fqdn(ctx, 'homeserver'), ctx.domain);
    return { 'well-known-server': server, 'well-known-client': client };
  },
  module(ctx) {
    const homeserver = fqdn(ctx, 'homeserver');
    const port = httpPort(ctx, 'homeserver');
    const turnOn = bool(ctx.options, 'turn');
    const turn = turnOn ? fqdn(ctx, 'turn') : undefined;
    const secret = (name: string): string => ctx.secretFile(name, 'matrix-synapse');
    const registrationOpen = bool(ctx.options, 'registrationOpen');
    const settings: Record<string, NixValue> = {
      server_name: ctx.domain,
      public_baseurl: `https://${homeserver}/`,
      listeners: [
        {
          port,
          bind_addresses: ['127.0.0.1'],
          type: 'http',
          tls: false,
          x_forwarded: true,
          resources: [{ names: ['client', 'federation'], compress: true }],
        },
      ],
      database: {
        name: 'psycopg2',
        // ensureDatabases creates it with the cluster's locale; Synapse asks for C collation otherwise.
        allow_unsafe_locale: true,
        args: { user: 'matrix-synapse', database: 'matrix-synapse', host: '/run/postgresql' },
      },
      enable_registration: registrationOpen,
      ...(registrationOpen ? { enable_registration_without_verification: true } : {}),
      registration_shared_secret_path: secret('registration-shared-secret'),
      macaroon_secret_key_path: secret('macaroon-secret-key'),
      form_secret_path: secret('form-secret'),
      ...(turn === undefined
        ? {}
        : {
            turn_uris: [
              `turns:${turn}:${TURN_PORTS.tls}?transport=udp`,
              `turns:${turn}:${TURN_PORTS.tls}?transport=tcp`,
              `turn:${turn}:${TURN_PORTS.plain}?transport=udp`,
              `turn:${turn}:${TURN_PORTS.plain}?transport=tcp`,
            ],
            turn_shared_secret_path: secret('turn-static-auth-secret'),
            turn_user_lifetime: '1h',
          }),
    };
    const registerConfig = nixExpr(
      `pkgs.writeText "fedops-matrix-register.yaml" ${nixString(
        `registration_shared_secret_path: ${ctx.secretFile('registration-shared-secret', 'matrix-synapse')}\n`,
      )}`,
    );
    const config: Record<string, NixValue> = {
      services: {
        'matrix-synapse': { enable: true, settings },
        ...(bool(ctx.options, 'element')
          ? {
              nginx: {
                virtualHosts: {
                  [fqdn(ctx, 'element')]: {
                    root: nixExpr(
                      `pkgs.element-web.override { conf = { default_server_config = { "m.homeserver" = { base_url = ${nixString(`https://${homeserver}`)}; server_name = ${nixString(ctx.domain)}; }; }; disable_custom_urls = true; }; }`,
                    ),
                  },
                },
              },
            }
          : {}),
      },
      systemd: {
        services: {
          'fedops-matrix-admin': adminUnit({
            description: 'fedops: Matrix first admin',
            after: ['matrix-synapse.service'],
            requires: ['matrix-synapse.service'],
            user: 'matrix-synapse',
            path: [nixExpr('config.services.matrix-synapse.package')],
            environment: { FEDOPS_REGISTER_CONFIG: registerConfig },
            script: [
              `register_new_matrix_user --exists-ok --admin --config "$FEDOPS_REGISTER_CONFIG" --user ${shellQuote(str(ctx.options, 'adminUsername'))} --password-file ${shellQuote(secret('admin-password'))} http://127.0.0.1:${port}`,
            ],
          }),
        },
      },
    };
    return turn === undefined ? config : mergeModules(config, coturn(ctx, turn));
  },
};
