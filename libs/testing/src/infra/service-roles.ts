/**
 * The database set-up of the fedops services: one LOGIN role per service, `fedops_<schema>`, owning
 * that service's schema and reaching nothing else. `serviceRolesSql` is the one definition of it;
 * `applyServiceRoles` runs it for `npm start`, the tests and the benchmarks, and
 * `serviceRolesPsqlScript` renders it for docker-compose's init script
 * (deploy/postgres/initdb/fedops-service-roles.psql, generated with `npm run initdb-sql`). The
 * services themselves never carry this code: their roles may not create roles or schemas.
 *
 * Everything here is idempotent and may run on every start: a role or schema that exists is kept, a
 * password is set again (so a rotated one takes effect), and a schema created earlier by another
 * role (the shared role of older data dirs) is handed over to the service's role with all it holds.
 */
import { Client, escapeLiteral } from 'pg';

import { assertIdentifier } from './postgres.config';

export const SERVICE_ROLE_PREFIX = 'fedops';

export interface ServiceRolesPlan {
  /** The database the services share, each in its own schema. */
  readonly database: string;
  /** One schema per service (`tenant_api`, `provisioner`, …). */
  readonly schemas: readonly string[];
  /** Roles are `<rolePrefix>_<schema>`; default `fedops`. Roles belong to the whole server: tests use their own prefix. */
  readonly rolePrefix?: string;
}

export interface ServiceRole {
  readonly schema: string;
  readonly role: string;
}

export interface SqlStatement {
  /** What the statement does, for error messages. Never the SQL itself: it may hold a password. */
  readonly purpose: string;
  readonly sql: string;
}

/** The schema of a fedops service: its name with `-` as `_` (`tenant-api` -> `tenant_api`). */
export function serviceSchema(service: string): string {
  return assertIdentifier(service.replace(/-/g, '_'), 'schema');
}

/** The role of each schema of the plan, in the plan's order. */
export function serviceRoles(plan: ServiceRolesPlan): ServiceRole[] {
  const prefix = plan.rolePrefix ?? SERVICE_ROLE_PREFIX;
  const seen = new Set<string>();
  return plan.schemas.map((schema) => {
    assertIdentifier(schema, 'schema');
    if (schema === 'public' || schema.startsWith('pg_'))
      throw new Error(`Schema ${schema} is PostgreSQL's own, not a service's`);
    if (seen.has(schema)) throw new Error(`Schema ${schema} is listed twice`);
    seen.add(schema);
    return { schema, role: assertIdentifier(`${prefix}_${schema}`, 'role') };
  });
}

/**
 * Pure: the statements, in order, that set the plan up in its database (they must run connected
 * to it, in one transaction). `password` gives the SQL expression of a role's password: a quoted
 * literal, or a psql variable such as `:'password_tenant_api'`.
 */
export function serviceRolesSql(
  plan: ServiceRolesPlan,
  password: (role: ServiceRole) => string,
): SqlStatement[] {
  const database = assertIdentifier(plan.database, 'database');
  const roles = serviceRoles(plan);
  if (roles.length === 0) throw new Error('No schemas to set up');
  const perRole = roles.flatMap((r): SqlStatement[] => [
    {
      purpose: `create role ${r.role}`,
      sql: [
        'DO $$',
        'BEGIN',
        `  CREATE ROLE ${r.role} LOGIN;`,
        'EXCEPTION WHEN duplicate_object OR unique_violation THEN',
        '  NULL; -- it exists (or another session just created it): the next statements bring it in line',
        'END',
        '$$',
      ].join('\n'),
    },
    {
      purpose: `set the attributes and password of ${r.role}`,
      // SUPERUSER, REPLICATION and BYPASSRLS are off for a new role, and only a superuser may even name them.
      sql: `ALTER ROLE ${r.role} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD ${password(r)}`,
    },
    {
      purpose: `let the administrating role act as ${r.role}`,
      // A non-superuser must be a member of a role to create a schema for it or hand objects over to it.
      sql: [
        'DO $$',
        'BEGIN',
        '  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)',
        `     AND NOT pg_has_role(current_user, '${r.role}', 'MEMBER') THEN`,
        `    EXECUTE format('GRANT %I TO %I', '${r.role}', current_user);`,
        '  END IF;',
        'END',
        '$$',
      ].join('\n'),
    },
    {
      purpose: `create schema ${r.schema} owned by ${r.role}`,
      sql: `CREATE SCHEMA IF NOT EXISTS ${r.schema} AUTHORIZATION ${r.role}`,
    },
    {
      purpose: `make ${r.role} the owner of schema ${r.schema}`,
      sql: `ALTER SCHEMA ${r.schema} OWNER TO ${r.role}`,
    },
    { purpose: `hand what schema ${r.schema} holds over to ${r.role}`, sql: adoptSchemaContents(r) },
    {
      purpose: `keep everyone else out of schema ${r.schema}`,
      sql: `REVOKE ALL ON SCHEMA ${r.schema} FROM PUBLIC`,
    },
  ]);
  return [
    {
      purpose: `check the connection is to database ${database}`,
      sql: [
        'DO $$',
        'BEGIN',
        `  IF current_database() <> '${database}' THEN`,
        `    RAISE EXCEPTION 'connected to database %, expected ${database}', current_database();`,
        '  END IF;',
        'END',
        '$$',
      ].join('\n'),
    },
    ...perRole,
    // CONNECT, CREATE (schemas) and TEMPORARY go from PUBLIC; the owner and superusers keep theirs.
    {
      purpose: `revoke every privilege on database ${database} from PUBLIC`,
      sql: `REVOKE ALL ON DATABASE ${database} FROM PUBLIC`,
    },
    {
      purpose: `let the service roles connect to database ${database}`,
      sql: `GRANT CONNECT ON DATABASE ${database} TO ${roles.map((r) => r.role).join(', ')}`,
    },
    {
      purpose: 'revoke CREATE on schema public from PUBLIC',
      // PostgreSQL 15 no longer grants it; an older database (or an upgraded one) still may.
      sql: [
        'DO $$',
        'BEGIN',
        "  IF EXISTS (SELECT FROM pg_namespace WHERE nspname = 'public') THEN",
        '    REVOKE CREATE ON SCHEMA public FROM PUBLIC;',
        '  END IF;',
        'END',
        '$$',
      ].join('\n'),
    },
  ];
}

/**
 * Tables (their indexes and the sequences of their columns follow), views, sequences, types and
 * routines of the schema that another role owns become the service role's.
 */
function adoptSchemaContents({ schema, role }: ServiceRole): string {
  const where = `'${schema}'::regnamespace`;
  const notOwner = `<> '${role}'::regrole`;
  return [
    'DO $$',
    'DECLARE',
    '  item record;',
    'BEGIN',
    '  FOR item IN',
    "    SELECT c.relname AS name, CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'",
    "      WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END AS kind",
    `    FROM pg_class c WHERE c.relnamespace = ${where} AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relowner ${notOwner}`,
    '  LOOP',
    `    EXECUTE format('ALTER %s %I.%I OWNER TO %I', item.kind, '${schema}', item.name, '${role}');`,
    '  END LOOP;',
    '  FOR item IN',
    `    SELECT c.relname AS name FROM pg_class c WHERE c.relnamespace = ${where} AND c.relkind = 'S' AND c.relowner ${notOwner}`,
    '  LOOP',
    `    EXECUTE format('ALTER SEQUENCE %I.%I OWNER TO %I', '${schema}', item.name, '${role}');`,
    '  END LOOP;',
    '  FOR item IN',
    // Enums, domains, ranges and composite types of their own; not the row types of tables nor array types.
    '    SELECT t.typname AS name FROM pg_type t LEFT JOIN pg_class c ON c.oid = t.typrelid',
    `    WHERE t.typnamespace = ${where} AND t.typowner ${notOwner} AND t.typcategory <> 'A'`,
    "      AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND c.relkind = 'c'))",
    '  LOOP',
    `    EXECUTE format('ALTER TYPE %I.%I OWNER TO %I', '${schema}', item.name, '${role}');`,
    '  END LOOP;',
    '  FOR item IN',
    `    SELECT p.oid::regprocedure AS signature FROM pg_proc p WHERE p.pronamespace = ${where} AND p.proowner ${notOwner}`,
    '  LOOP',
    `    EXECUTE format('ALTER ROUTINE %s OWNER TO %I', item.signature, '${role}');`,
    '  END LOOP;',
    'END',
    '$$',
  ].join('\n');
}

/** The psql variable that carries a role's password into the psql script. */
export function psqlPasswordVariable(role: ServiceRole): string {
  return `password_${role.schema}`;
}

/**
 * Pure: the set-up as a psql script in one transaction; passwords come from the psql variables
 * `password_<schema>` (`psql -v password_tenant_api=...`). Run it connected to the plan's database.
 */
export function serviceRolesPsqlScript(plan: ServiceRolesPlan, header: readonly string[] = []): string {
  const roles = serviceRoles(plan);
  const statements = serviceRolesSql(plan, (role) => `:'${psqlPasswordVariable(role)}'`);
  return [
    ...header.map((line) => `-- ${line}`.trimEnd()),
    `-- psql variables: ${roles.map(psqlPasswordVariable).join(', ')}`,
    '\\set ON_ERROR_STOP on',
    'BEGIN;',
    'SET LOCAL client_min_messages = warning; -- no notice for each thing that exists already',
    ...statements.flatMap((s) => ['', `-- ${s.purpose}`, `${s.sql};`]),
    '',
    'COMMIT;',
    '',
  ].join('\n');
}

/**
 * Sets the plan up on the server of `adminUrl` (a role that owns the database and has CREATEROLE,
 * or a superuser), in one transaction, connected to `plan.database`. `passwords` has one entry per
 * schema. Returns the URL each schema's service connects with (its role, same server). Errors name
 * the step that failed, never a password.
 */
export async function applyServiceRoles(
  adminUrl: string,
  plan: ServiceRolesPlan,
  passwords: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const roles = serviceRoles(plan);
  for (const { schema } of roles) {
    const password = passwords[schema];
    if (password === undefined || password === '')
      throw new Error(`No password for the role of schema ${schema}`);
  }
  const statements = serviceRolesSql(plan, (r) => escapeLiteral(passwords[r.schema] ?? ''));
  const target = new URL(adminUrl);
  target.pathname = `/${plan.database}`;
  const client = new Client({ connectionString: target.toString(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const statement of statements) {
      try {
        await client.query(statement.sql);
      } catch (error: unknown) {
        throw new Error(
          `Database set-up of ${plan.database}: could not ${statement.purpose}: ${messageOf(error)}`,
          {
            cause: error,
          },
        );
      }
    }
    await client.query('COMMIT');
  } catch (error: unknown) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  const urls: Record<string, string> = {};
  for (const { schema, role } of roles) {
    const url = new URL(target);
    url.username = encodeURIComponent(role);
    url.password = encodeURIComponent(passwords[schema] ?? '');
    urls[schema] = url.toString();
  }
  return urls;
}

/**
 * Drops the plan's roles (tests: after their database is dropped, which takes the schemas and
 * grants along). A role that still owns something elsewhere is an error naming it.
 */
export async function dropServiceRoles(adminUrl: string, plan: ServiceRolesPlan): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    for (const { role } of serviceRoles(plan)) await client.query(`DROP ROLE IF EXISTS ${role}`);
  } finally {
    await client.end();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
