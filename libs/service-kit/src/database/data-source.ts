import { Client } from 'pg';
import { DataSource, type EntitySchema, type MixedList } from 'typeorm';

export interface ServiceDataSourceOptions {
  url: string;
  /** The service's own PostgreSQL schema; no other service reads it. */
  schema: string;
  // TypeORM's own types for entity and migration lists.
  entities: MixedList<string | EntitySchema | (new () => unknown)>;
  migrations: MixedList<string | (new () => unknown)>;
}

/**
 * Connects to the service's own schema and runs pending migrations (each in its own transaction).
 * The schema must exist and belong to the role of `url` (the database set-up creates it: see
 * libs/testing/src/infra/service-roles.ts and deploy/postgres/initdb); only a role that may create
 * schemas (a throw-away test database) gets a missing one created here.
 */
export async function openServiceDataSource(options: ServiceDataSourceOptions): Promise<DataSource> {
  const { url, schema } = options;
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`Invalid schema name "${schema}"`);
  await ensureOwnSchema(url, schema);
  const ds = new DataSource({
    type: 'postgres',
    url,
    schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    // Unqualified names in migrations and queries resolve to the service's own schema.
    extra: { max: 10, application_name: schema, options: `-c search_path=${schema}` },
  });
  await ds.initialize();
  try {
    await ds.runMigrations();
  } catch (err) {
    await ds.destroy();
    throw new Error(`Migrations of schema ${schema} failed`, { cause: err });
  }
  return ds;
}

/**
 * Fails, naming the schema, unless it exists and belongs to the connecting role. Existence is
 * looked up first: PostgreSQL checks the CREATE privilege on the database before it looks whether
 * a schema exists, so `CREATE SCHEMA IF NOT EXISTS` fails for a service role even when it does.
 */
async function ensureOwnSchema(url: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const facts = async (): Promise<SchemaFacts> => {
      const result = await client.query<SchemaFacts>(
        `SELECT current_user AS "role", current_database() AS "database",
                has_database_privilege(current_database(), 'CREATE') AS "mayCreate",
                (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1) AS "owner"`,
        [schema],
      );
      const row = result.rows[0];
      if (row === undefined) throw new Error('PostgreSQL answered no row');
      return row;
    };
    let found = await facts();
    if (found.owner === null && found.mayCreate) {
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      } catch (err) {
        // Two services starting at once may race on CREATE SCHEMA; the loser sees a unique violation.
        if (!(err instanceof Error && 'code' in err && err.code === '23505')) throw err;
      }
      found = await facts();
    }
    if (found.owner === null)
      throw new Error(
        `Schema "${schema}" does not exist in database ${found.database}, and role ${found.role} may not ` +
          `create it: set the database up first (one role per service, owning its schema; see deploy/README.md)`,
      );
    if (found.owner !== found.role)
      throw new Error(
        `Schema "${schema}" in database ${found.database} belongs to role ${found.owner}, not to ${found.role}, ` +
          `the role this service connects as: connect with the schema's own role, or set the database up again`,
      );
  } finally {
    await client.end();
  }
}

interface SchemaFacts {
  role: string;
  database: string;
  mayCreate: boolean;
  owner: string | null;
}
