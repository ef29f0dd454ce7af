import {
  appOptionsJsonSchema,
  type AppDefinition,
  type AppEndpoint,
  type JsonSchema,
  type OptionSpec,
  type SupportLevel,
} from '@fedops/catalog';

/**
 * An endpoint as the API shows it: where the app answers, without the port of its loopback listener
 * (an internal detail of the machine, behind nginx).
 */
export type CatalogEndpointView =
  | {
      kind: 'http';
      id: string;
      subdomainOption: string;
      healthPath: string;
      maxBodySize: string;
      enabledBy?: string;
    }
  | { kind: 'host'; id: string; subdomainOption: string; purpose: string; enabledBy?: string }
  | { kind: 'apex-path'; id: string; path: string; purpose: string; enabledBy?: string };

export interface CatalogPortView {
  protocol: 'tcp' | 'udp';
  port: number;
  to?: number;
  purpose: string;
  enabledBy?: string;
}

/** A secret the platform generates, by name only: how it is made and where it goes stay inside. */
export interface CatalogSecretView {
  name: string;
  description: string;
  enabledBy?: string;
}

/** GET /v1/apps and GET /v1/apps/{id}: one catalog app, as operators may see it. */
export interface CatalogAppView {
  id: string;
  name: string;
  description: string;
  homepage: string;
  iconUrl: string;
  license: string;
  supportLevel: SupportLevel;
  package: string;
  /** Every option by name, lowest weight first (the order of forms and tables). */
  options: Record<string, OptionSpec>;
  /** JSON Schema (2020-12) of `apps[].options` for this app: the one POST /v1/tenants validates with. */
  optionsSchema: JsonSchema;
  endpoints: CatalogEndpointView[];
  ports: CatalogPortView[];
  secrets: CatalogSecretView[];
  databases: string[];
  dataPaths: string[];
  backupHooks: { before: string[]; after: string[] };
  movable: boolean;
  admin?: { username: { option: string } | { fixed: string }; emailOption?: string };
  resources: { vcpu: number; memoryMiB: number; diskGiB: number };
}

function endpointView(endpoint: AppEndpoint): CatalogEndpointView {
  const enabledBy = endpoint.enabledBy === undefined ? {} : { enabledBy: endpoint.enabledBy };
  switch (endpoint.kind) {
    case 'http':
      return {
        kind: 'http',
        id: endpoint.id,
        subdomainOption: endpoint.subdomainOption,
        healthPath: endpoint.healthPath,
        maxBodySize: endpoint.maxBodySize,
        ...enabledBy,
      };
    case 'host':
      return {
        kind: 'host',
        id: endpoint.id,
        subdomainOption: endpoint.subdomainOption,
        purpose: endpoint.purpose,
        ...enabledBy,
      };
    case 'apex-path':
      return {
        kind: 'apex-path',
        id: endpoint.id,
        path: endpoint.path,
        purpose: endpoint.purpose,
        ...enabledBy,
      };
  }
}

/**
 * The public view of a catalog app. Fields are copied one by one, so that what the catalog adds for
 * the platform's own use (a listener's port, how a secret is generated, who reads its file, the
 * admin's password secret) stays out of the API until it is added here on purpose.
 */
export function toCatalogAppView(app: AppDefinition): CatalogAppView {
  const options = Object.entries(app.options).sort(([, a], [, b]) => a.weight - b.weight);
  return {
    id: app.id,
    name: app.name,
    description: app.description,
    homepage: app.homepage,
    iconUrl: app.iconUrl,
    license: app.license,
    supportLevel: app.supportLevel,
    package: app.package,
    options: Object.fromEntries(options.map(([name, spec]) => [name, { ...spec }])),
    optionsSchema: appOptionsJsonSchema(app),
    endpoints: app.endpoints.map(endpointView),
    ports: app.ports.map((p) => ({
      protocol: p.protocol,
      port: p.port,
      ...(p.to === undefined ? {} : { to: p.to }),
      purpose: p.purpose,
      ...(p.enabledBy === undefined ? {} : { enabledBy: p.enabledBy }),
    })),
    secrets: app.secrets.map((s) => ({
      name: s.name,
      description: s.description,
      ...(s.enabledBy === undefined ? {} : { enabledBy: s.enabledBy }),
    })),
    databases: app.databases.map((d) => d.name),
    dataPaths: [...app.dataPaths],
    backupHooks: { before: [...app.backupHooks.before], after: [...app.backupHooks.after] },
    movable: app.movable,
    ...(app.admin === undefined
      ? {}
      : {
          admin: {
            username:
              'option' in app.admin.username
                ? { option: app.admin.username.option }
                : { fixed: app.admin.username.fixed },
            ...(app.admin.emailOption === undefined ? {} : { emailOption: app.admin.emailOption }),
          },
        }),
    resources: { ...app.resources },
  };
}
