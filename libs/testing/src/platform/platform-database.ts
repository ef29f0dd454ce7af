import { join, resolve } from 'node:path';

import {
  applyServiceRoles,
  serviceRoles,
  serviceRolesPsqlScript,
  serviceSchema,
  type ServiceRolesPlan,
} from '../infra/service-roles';
import { ensureDatabasePasswords } from './platform-keys';
import { SERVICE_NAMES, type ServiceName } from './platform-runner';

/** The five services in `database`, each with its schema and its role `<rolePrefix>_<schema>`. */
export function platformServiceRolesPlan(database: string, rolePrefix?: string): ServiceRolesPlan {
  return {
    database,
    schemas: SERVICE_NAMES.map(serviceSchema),
    ...(rolePrefix === undefined ? {} : { rolePrefix }),
  };
}

export interface PlatformDatabaseOptions {
  /** A role that owns the database of this URL and may create roles (or a superuser). */
  readonly adminUrl: string;
  /** The platform's data dir (as given to Platform.start): passwords live in `keys/database/`. */
  readonly dataDir: string;
  /** Default `fedops`. Roles belong to the whole server: platforms sharing one need their own. */
  readonly rolePrefix?: string;
}

export interface PlatformDatabase {
  readonly plan: ServiceRolesPlan;
  /** Each service's FEDOPS_DATABASE_URL: its own role and password, the database of `adminUrl`. */
  readonly urls: Record<ServiceName, string>;
}

/**
 * Sets the database of `adminUrl` up for the five services before they start (see
 * infra/service-roles.ts): a role per service owning its schema, nothing else reachable. Passwords
 * are generated once per data dir and set again on every call, so a rotated password file works.
 */
export async function provisionPlatformDatabase(options: PlatformDatabaseOptions): Promise<PlatformDatabase> {
  const database = decodeURIComponent(new URL(options.adminUrl).pathname.slice(1));
  const plan = platformServiceRolesPlan(database, options.rolePrefix);
  const roles = serviceRoles(plan);
  const byRole = await ensureDatabasePasswords(
    join(resolve(options.dataDir), 'keys', 'database'),
    roles.map((r) => r.role),
  );
  const passwords: Record<string, string> = {};
  for (const { schema, role } of roles) passwords[schema] = byRole[role] ?? '';
  const bySchema = await applyServiceRoles(options.adminUrl, plan, passwords);
  const urls = {} as Record<ServiceName, string>;
  for (const name of SERVICE_NAMES) {
    const url = bySchema[serviceSchema(name)];
    if (url === undefined) throw new Error(`No database URL for ${name}`);
    urls[name] = url;
  }
  return { plan, urls };
}

/** docker-compose's copy of the set-up, run by deploy/postgres/initdb/10-fedops.sh (repository-relative). */
export const COMPOSE_SERVICE_ROLES_FILE = 'deploy/postgres/initdb/fedops-service-roles.psql';
export const COMPOSE_SERVICE_ROLES_COMMAND = 'npm run initdb-sql';

/** Pure: the text of COMPOSE_SERVICE_ROLES_FILE (database `fedops`, roles `fedops_<schema>`). */
export function composeServiceRolesScript(): string {
  return serviceRolesPsqlScript(platformServiceRolesPlan('fedops'), [
    `Generated from libs/testing/src/infra/service-roles.ts by \`${COMPOSE_SERVICE_ROLES_COMMAND}\`: do not edit.`,
    'The fedops services in database fedops: one role per service owning its schema, nothing else',
    'reachable. Run by 10-fedops.sh, which passes the passwords; safe to run again.',
  ]);
}
