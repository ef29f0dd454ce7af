/** An app chosen by an operator, with its option values (validated against the catalog at the edge). */
export interface AppSelection {
  app: string;
  options: Record<string, string | number | boolean>;
}

/** `updating`: a change (an update operation) is being applied; the apps keep running meanwhile. */
export const TENANT_STATUSES = [
  'provisioning',
  'ready',
  'updating',
  'restoring',
  'failed',
  'deleting',
  'deleted',
] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** A hostname the tenant's apps answer on, with the app that owns it. */
export interface AppHostname {
  app: string;
  fqdn: string;
  /** TCP port of the endpoint's listener inside the machine; 443 where nginx answers itself. */
  port: number;
  /** The catalog endpoint (`web`, `element`, `turn`, `well-known-server`); absent on rows from before endpoints. */
  endpoint?: string;
}
