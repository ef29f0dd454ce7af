import { adminEmail, appHostnames, resolveOptions, type AppAdmin, type AppDefinition } from '@fedops/catalog';
import type { AppHostname, AppSelection } from '@fedops/contracts';

/** The first admin account of a tenant's app as its first deployment created it, but its password. */
export interface AdminAccount {
  username: string;
  email?: string;
  loginUrl: string;
}

/**
 * Pure: who the admin is, from the tenant's stored options with the catalog's defaults, as the
 * deployer's app modules name it: the username option's value (or the name the app imposes), the
 * e-mail option's value or `owner@<tenant domain>` (apps whose admin has an e-mail only), and the
 * https URL of the app's first endpoint (the tenant's stored hostname, else the catalog's).
 */
export function adminAccount(
  app: AppDefinition & { admin: AppAdmin },
  selection: AppSelection,
  tenant: { domain: string; hostnames: readonly AppHostname[] },
): AdminAccount {
  const options = resolveOptions(selection);
  const { username } = app.admin;
  const host =
    tenant.hostnames.find((h) => h.app === app.id) ??
    appHostnames(tenant.domain, [selection]).find((h) => h.app === app.id);
  const email = adminEmail(app, options, tenant.domain);
  return {
    username: 'fixed' in username ? username.fixed : String(options[username.option]),
    ...(email !== undefined ? { email } : {}),
    loginUrl: host === undefined ? `https://${tenant.domain}/` : `https://${host.fqdn}/`,
  };
}
