import { randomBytes } from 'node:crypto';

import { connect, type NatsConnection } from 'nats';
import { Client } from 'pg';

import { NATS_ADMIN_USER, natsInboxPrefix, type NatsServiceUser } from '../infra/nats.config';
import type { InfraEndpoints } from '../infra/types';
import { infraFromEnv } from './test-env';

/** The infrastructure started by the jest global setup. Throws a clear error when it is not running. */
export function testInfra(): InfraEndpoints {
  return infraFromEnv(process.env);
}

/**
 * A NATS connection to the test infrastructure as the admin (every permission: set up or inspect
 * streams) or as a service's own user, with its permissions and its inbox, as the service connects.
 */
export async function connectTestNats(
  user: NatsServiceUser | typeof NATS_ADMIN_USER = NATS_ADMIN_USER,
  name = `test-${user}`,
): Promise<NatsConnection> {
  const nats = testInfra().nats;
  const credentials = user === NATS_ADMIN_USER ? nats.admin : nats.services[user];
  return connect({
    servers: nats.url,
    user: credentials.user,
    pass: credentials.password,
    ...(user === NATS_ADMIN_USER ? {} : { inboxPrefix: natsInboxPrefix(user) }),
    name,
  });
}

/**
 * Creates a fresh, empty database (owned by the test role) so a test file can have its own, and
 * returns its URL. The name is `<name>_<random>`, lower-cased, non-identifier characters replaced.
 */
export async function createTestDatabase(name: string): Promise<string> {
  const base = testInfra().postgres;
  const database = testDatabaseName(name, randomBytes(4).toString('hex'));
  await withAdmin(base.url, (client) => client.query(`CREATE DATABASE ${database}`));
  const url = new URL(base.url);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Drops a database made by createTestDatabase (its connections are terminated first). */
export async function dropTestDatabase(url: string): Promise<void> {
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) {
    throw new Error(`Refusing to drop ${JSON.stringify(database)}: not a test database name`);
  }
  await withAdmin(testInfra().postgres.url, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
  );
}

/** Pure: a safe identifier for a test database. */
export function testDatabaseName(name: string, suffix: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^[^a-z_]+/, '');
  const stem = (cleaned || 'test').slice(0, 63 - suffix.length - 1);
  return suffix ? `${stem}_${suffix}` : stem;
}

async function withAdmin<T>(url: string, use: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
