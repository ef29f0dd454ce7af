/**
 * The shape of a catalog app: what an operator may choose (typed options), what the platform must
 * provide for it (endpoints, ports, secrets, databases, data paths, resources) and how its data is
 * backed up and moved. Renderers, DNS plans, firewall rules, backups and the API all read these
 * declarations; nothing about an app is repeated elsewhere.
 */

interface OptionBase {
  description: string;
  /** Order in forms and tables: lower first. */
  weight: number;
  required?: boolean;
}

/** Typed option of an app, validated at the API edge and rendered into the app's NixOS module. */
export type OptionSpec =
  | (OptionBase & {
      /** A DNS label under the tenant's domain that one of the app's endpoints answers on. */
      type: 'subdomain';
      default: string;
    })
  | (OptionBase & {
      /** Turns an optional part of the app on or off (Element web beside a Matrix homeserver). */
      type: 'enable';
      default: boolean;
    })
  | (OptionBase & {
      type: 'string';
      default?: string;
      pattern?: string;
      patternHint?: string;
      maxLength?: number;
      /** Values the pattern allows but the app refuses (Mastodon's reserved usernames). */
      notIn?: readonly string[];
    })
  | (OptionBase & { type: 'boolean'; default?: boolean })
  | (OptionBase & { type: 'integer'; default?: number; min?: number; max?: number })
  | (OptionBase & { type: 'enum'; default?: string; values: readonly string[] });

export type OptionType = OptionSpec['type'];
export type OptionValue = string | number | boolean;

/**
 * Where an app answers. `http`: a subdomain with an nginx virtual host (ACME certificate, forceSSL)
 * in front of the app's HTTP listener; `host`: a subdomain that only needs a DNS name and a
 * certificate (a TURN server's TLS); `apex-path`: a path nginx serves on the tenant's own domain
 * (`/.well-known/matrix/server`).
 */
export type AppEndpoint =
  | {
      kind: 'http';
      /** Names the endpoint within the app: `web`, `element`. */
      id: string;
      /** The `subdomain` option whose value is the endpoint's DNS label. */
      subdomainOption: string;
      /** TCP port of the app's HTTP listener on the machine's loopback. */
      port: number;
      /** Answered with 200 when the endpoint is healthy, checked through nginx on 443. */
      healthPath: string;
      /** nginx `client_max_body_size`: the largest upload the app accepts (`40m`, `10g`). */
      maxBodySize: string;
      /** The `enable` option that switches this endpoint on, if it is optional. */
      enabledBy?: string;
    }
  | { kind: 'host'; id: string; subdomainOption: string; purpose: string; enabledBy?: string }
  | { kind: 'apex-path'; id: string; path: string; purpose: string; enabledBy?: string };

/** A port the machine's firewall opens for the app, besides 80 and 443 (open with any http endpoint). */
export interface AppPort {
  protocol: 'tcp' | 'udp';
  port: number;
  /** Last port of a range (inclusive), for relay ranges. */
  to?: number;
  purpose: string;
  enabledBy?: string;
}

/**
 * A secret the platform generates once per tenant and app, keeps sealed, and delivers to the machine
 * as a file readable only by its owner (mode 0400), never through the Nix store. Modules reference
 * it through their `*File` options.
 */
export interface AppSecret {
  /** File name under the app's secrets folder: lower-case words joined by hyphens. */
  name: string;
  description: string;
  /** `hex`: 2×bytes hex digits; `base64`: standard base64 of `bytes` random bytes; `password`: letters and digits. */
  generate: { kind: 'hex' | 'base64' | 'password'; bytes: number };
  /**
   * How the file holds it: the bare value, or one `NAME=<prefix><value>` line for modules that read
   * an environment file (Pixelfed's `APP_KEY=base64:…`).
   */
  file?: { env: string; valuePrefix?: string };
  /**
   * System users that read the file themselves, each getting its own 0400 copy; none (root only)
   * when systemd or a root pre-start script loads it. coturn and Synapse both read the TURN secret.
   */
  owners?: readonly string[];
  enabledBy?: string;
}

/** A PostgreSQL database on the machine, owned by a role of the same name (NixOS ensureDBOwnership). */
export interface AppDatabase {
  name: string;
}

/** The account an operator signs in with after the first deploy. */
export interface AppAdmin {
  /** The option naming the account, or a fixed name the app imposes (PeerTube's `root`). */
  username: { option: string } | { fixed: string };
  /** The option with the account's e-mail address, for apps that need one. */
  emailOption?: string;
  /** The secret holding its password: the operator reads it once through the API. */
  passwordSecret: string;
}

export type SupportLevel = 'supported' | 'beta' | 'experimental';

export interface AppDefinition {
  id: string;
  name: string;
  description: string;
  homepage: string;
  /** The app project's logo on its own website (not fetched or checked by fedops). */
  iconUrl: string;
  /** SPDX expression of the app's license. */
  license: string;
  /** `supported`: tested end to end here and kept working; `beta`: deploys, fewer guarantees. */
  supportLevel: SupportLevel;
  /** The nixpkgs attribute of the app's package; its version is the pinned release's. */
  package: string;
  /** Every option of the app by name, its subdomains and enables included. */
  options: Record<string, OptionSpec>;
  endpoints: readonly AppEndpoint[];
  ports: readonly AppPort[];
  secrets: readonly AppSecret[];
  databases: readonly AppDatabase[];
  /** Folders on the machine with the app's state, backed up and moved with it. */
  dataPaths: readonly string[];
  /** Commands run on the machine around a backup (a maintenance mode, a flush). */
  backupHooks: { before: readonly string[]; after: readonly string[] };
  /** Whether the app's state can be moved to another machine (and so the tenant migrated). */
  movable: boolean;
  /** The first admin account, if the app has accounts. */
  admin?: AppAdmin;
  /** What the app needs at least, on top of the machine's base. */
  resources: { vcpu: number; memoryMiB: number; diskGiB: number };
}
