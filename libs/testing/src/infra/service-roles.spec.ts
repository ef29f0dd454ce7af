import {
  psqlPasswordVariable,
  serviceRoles,
  serviceRolesPsqlScript,
  serviceRolesSql,
  serviceSchema,
  type ServiceRole,
} from './service-roles';

const plan = { database: 'fedops', schemas: ['tenant_api', 'provisioner'] };
const literal = (r: ServiceRole): string => `'secret-of-${r.schema}'`;

describe('serviceSchema', () => {
  it('is the service name with underscores', () => {
    expect(['tenant-api', 'provisioner', 'dns'].map(serviceSchema)).toEqual([
      'tenant_api',
      'provisioner',
      'dns',
    ]);
  });
});

describe('serviceRoles', () => {
  it('names each role <prefix>_<schema>, fedops by default', () => {
    expect(serviceRoles(plan)).toEqual([
      { schema: 'tenant_api', role: 'fedops_tenant_api' },
      { schema: 'provisioner', role: 'fedops_provisioner' },
    ]);
    expect(serviceRoles({ ...plan, rolePrefix: 't1' }).map((r) => r.role)).toEqual([
      't1_tenant_api',
      't1_provisioner',
    ]);
  });

  it.each([
    ['a name that is not an identifier', ['tenant_api"; DROP ROLE x; --']],
    ['a schema listed twice', ['dns', 'dns']],
    ["PostgreSQL's public schema", ['public']],
    ['a pg_ schema', ['pg_catalog']],
  ])('rejects %s', (_what, schemas) => {
    expect(() => serviceRoles({ database: 'fedops', schemas })).toThrow(/schema/i);
  });

  it('rejects a role name longer than PostgreSQL keeps (63 characters)', () => {
    expect(() => serviceRoles({ database: 'fedops', schemas: ['s'.repeat(60)] })).toThrow(/role/);
  });
});

describe('serviceRolesSql', () => {
  const statements = serviceRolesSql(plan, literal);
  const sql = statements.map((s) => s.sql);

  it('first checks that it runs in the plan’s database', () => {
    expect(sql[0]).toContain("IF current_database() <> 'fedops' THEN");
    expect(sql[0]).toContain('RAISE EXCEPTION');
  });

  it('creates each role with LOGIN and sets its password (again) from the given expression', () => {
    for (const role of ['fedops_tenant_api', 'fedops_provisioner']) {
      const create = sql.find((s) => s.includes(`CREATE ROLE ${role} LOGIN;`));
      expect(create).toMatch(/EXCEPTION WHEN duplicate_object OR unique_violation/);
    }
    expect(sql).toContain(
      "ALTER ROLE fedops_tenant_api WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD 'secret-of-tenant_api'",
    );
    expect(sql).toContain(
      "ALTER ROLE fedops_provisioner WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD 'secret-of-provisioner'",
    );
  });

  it('never names an attribute only a superuser may change, so a CREATEROLE owner can run it', () => {
    expect(sql.join('\n')).not.toMatch(/SUPERUSER|REPLICATION|BYPASSRLS/);
  });

  it('creates each schema owned by its role, hands over what it holds and keeps PUBLIC out', () => {
    const order = (needle: string): number => sql.findIndex((s) => s.includes(needle));
    expect(sql).toContain('CREATE SCHEMA IF NOT EXISTS tenant_api AUTHORIZATION fedops_tenant_api');
    expect(sql).toContain('ALTER SCHEMA tenant_api OWNER TO fedops_tenant_api');
    expect(sql).toContain('REVOKE ALL ON SCHEMA tenant_api FROM PUBLIC');
    // A non-superuser administrator must be a member of the role before it can create its schema.
    expect(order("pg_has_role(current_user, 'fedops_tenant_api', 'MEMBER')")).toBeLessThan(
      order('CREATE SCHEMA IF NOT EXISTS tenant_api'),
    );
    const adopt = sql.find((s) => s.includes("c.relnamespace = 'provisioner'::regnamespace")) ?? '';
    for (const kind of ['ALTER %s %I.%I OWNER TO %I', 'ALTER SEQUENCE', 'ALTER TYPE', 'ALTER ROUTINE'])
      expect(adopt).toContain(kind);
    expect(adopt).toContain("<> 'fedops_provisioner'::regrole");
  });

  it('ends with the database: nothing for PUBLIC, CONNECT for the service roles, no CREATE in public', () => {
    expect(sql.slice(-3, -1)).toEqual([
      'REVOKE ALL ON DATABASE fedops FROM PUBLIC',
      'GRANT CONNECT ON DATABASE fedops TO fedops_tenant_api, fedops_provisioner',
    ]);
    expect(sql.at(-1)).toContain('REVOKE CREATE ON SCHEMA public FROM PUBLIC;');
  });

  it('keeps passwords out of the purposes (they go into error messages)', () => {
    expect(statements.filter((s) => s.purpose.includes('secret'))).toEqual([]);
    expect(statements.filter((s) => s.sql.includes('secret')).map((s) => s.purpose)).toEqual([
      'set the attributes and password of fedops_tenant_api',
      'set the attributes and password of fedops_provisioner',
    ]);
  });

  it('rejects a database name that is not an identifier, and an empty plan', () => {
    expect(() => serviceRolesSql({ ...plan, database: "x'; DROP DATABASE y; --" }, literal)).toThrow(
      /database/,
    );
    expect(() => serviceRolesSql({ database: 'fedops', schemas: [] }, literal)).toThrow(/No schemas/);
  });
});

describe('serviceRolesPsqlScript', () => {
  const script = serviceRolesPsqlScript(plan, ['Generated: do not edit.']);

  it('is one transaction that stops at the first error', () => {
    expect(script.startsWith('-- Generated: do not edit.\n')).toBe(true);
    expect(script).toContain('\\set ON_ERROR_STOP on\nBEGIN;\n');
    expect(script.trimEnd().endsWith('COMMIT;')).toBe(true);
  });

  it('takes the passwords from psql variables, one per schema', () => {
    expect(psqlPasswordVariable({ schema: 'tenant_api', role: 'fedops_tenant_api' })).toBe(
      'password_tenant_api',
    );
    expect(script).toContain('-- psql variables: password_tenant_api, password_provisioner');
    expect(script).toContain("PASSWORD :'password_tenant_api';");
    expect(script).toContain("PASSWORD :'password_provisioner';");
  });

  it('holds every statement of serviceRolesSql, each ended by a semicolon', () => {
    for (const s of serviceRolesSql(plan, (r) => `:'${psqlPasswordVariable(r)}'`))
      expect(script).toContain(`-- ${s.purpose}\n${s.sql};\n`);
  });
});
