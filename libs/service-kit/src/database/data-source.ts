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

/** Creates the schema if needed, connects, and runs pending migrations (each in its own transaction). */
export async function openServiceDataSource(options: ServiceDataSourceOptions): Promise<DataSource> {
  const { url, schema } = options;
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`Invalid schema name "${schema}"`);
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (err) {
    // Two services starting at once may race on CREATE SCHEMA; the loser sees a unique violation.
    if (!(err instanceof Error && 'code' in err && err.code === '23505')) throw err;
  } finally {
    await admin.end();
  }
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
