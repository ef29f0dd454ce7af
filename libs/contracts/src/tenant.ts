/** An app chosen by an operator, with its option values (validated against the catalog at the edge). */
export interface AppSelection {
  app: string;
  options: Record<string, string | number | boolean>;
}

export const TENANT_STATUSES = ['provisioning', 'ready', 'failed', 'deleting', 'deleted'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** A hostname the tenant's apps answer on, with the app that owns it. */
export interface AppHostname {
  app: string;
  fqdn: string;
  /** TCP port the app's health endpoint listens on inside the machine. */
  port: number;
}
