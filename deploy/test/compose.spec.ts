/**
 * Checks docker-compose.yml, deploy/Dockerfile and deploy/.env.example against the services' real
 * configuration specs, without a Docker engine (none on the development machines). Every check
 * collects problems as sentences and expects the list to be empty, so a failure names what is wrong.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError, loadConfig, parse as parsers } from '@fedops/service-kit';
import {
  COMPOSE_NATS_CONFIG_COMMAND,
  COMPOSE_NATS_CONFIG_FILE,
  COMPOSE_SERVICE_ROLES_COMMAND,
  COMPOSE_SERVICE_ROLES_FILE,
  SERVICE_ROLE_PREFIX,
  composeServiceRolesScript,
  natsPasswordVariable,
  psqlPasswordVariable,
  renderComposeNatsAuthConfig,
  serviceSchema,
} from '@fedops/testing';
import {
  aptPackages,
  buildSpec,
  checkedCommands,
  dependsOn,
  dockerfileInstructions,
  dockerfileStages,
  hasHealthcheck,
  interpolate,
  parseCompose,
  parseEnvFile,
  publishedPorts,
  secretTarget,
  serviceEnvironment,
  serviceSecrets,
  stringLeaves,
  variableReferences,
  volumeMounts,
  type ComposeModel,
  type ComposeService,
  type Env,
} from './compose-model';
import { SERVICE_PROGRAMS } from './required-programs';
import { FEDOPS_SERVICES, SERVICE_CONFIG_SPECS, requiredVariables } from './service-config-specs';

const repoRoot = join(__dirname, '..', '..');
const read = (file: string): string => readFileSync(join(repoRoot, file), 'utf8');

const INFRASTRUCTURE = ['postgres', 'nats', 'temporal', 'temporal-ui', 'pdns', 's3'] as const;
/** Every fedops service needs these healthy before it starts. */
const COMMON_DEPENDENCIES = ['postgres', 'nats', 'temporal'] as const;
const EXTRA_DEPENDENCIES: Partial<Record<string, string[]>> = {
  dns: ['pdns'],
  backup: ['s3', 'provisioner'],
};
/** `service host_ip:published->target`; host_ip `*` = all interfaces. */
const EXPECTED_PUBLISHED_PORTS = ['tenant-api *:8080->8080', 'temporal-ui 127.0.0.1:8233->8080'];
const DOCKERFILE = 'deploy/Dockerfile';

const compose: ComposeModel = parseCompose(read('docker-compose.yml'));
const exampleEnv: Env = parseEnvFile(read('deploy/.env.example'));
const dockerfile = read(DOCKERFILE);

function service(name: string): ComposeService {
  const s = compose.services.get(name);
  if (s === undefined) throw new Error(`docker-compose.yml declares no service "${name}"`);
  return s;
}

/** The environment a container gets once compose has substituted values from .env.example. */
function resolvedEnvironment(s: ComposeService): Env {
  const env: Env = {};
  for (const [key, value] of Object.entries(serviceEnvironment(s))) {
    env[key] = interpolate(value, exampleEnv, `services.${s.name}.environment.${key}`);
  }
  return env;
}

/** The .env variable with the password of a service's database role: FEDOPS_DB_PASSWORD_TENANT_API, … */
function passwordVariable(name: string): string {
  return `FEDOPS_DB_PASSWORD_${serviceSchema(name).toUpperCase()}`;
}

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

describe('docker-compose.yml', () => {
  it('declares every fedops and infrastructure service', () => {
    const missing = [...FEDOPS_SERVICES, ...INFRASTRUCTURE].filter((name) => !compose.services.has(name));
    expect(missing.map((name) => `service "${name}" is missing`)).toEqual([]);
  });

  it('keeps the OIDC issuer out of production: it runs only with the evaluation profile', () => {
    const issuer = service('oidc-issuer');
    expect(issuer.raw['profiles']).toEqual(['evaluation']);
    expect(exampleEnv['COMPOSE_PROFILES']).toBe('evaluation');
    // Whoever depends on it must still start without it.
    const problems: string[] = [];
    for (const s of compose.services.values()) {
      const dep = dependsOn(s).get('oidc-issuer');
      if (dep?.required === true) problems.push(`${s.name} requires oidc-issuer; mark it required: false`);
    }
    expect(problems).toEqual([]);
  });

  describe.each(FEDOPS_SERVICES)('%s', (name) => {
    const spec = SERVICE_CONFIG_SPECS[name];

    it('is built from deploy/Dockerfile with its SERVICE argument', () => {
      const build = buildSpec(service(name));
      expect(build).toBeDefined();
      const problems: string[] = [];
      if (build?.context !== '.')
        problems.push(`build.context is ${build?.context}, expected "." (repo root)`);
      if (build?.dockerfile !== DOCKERFILE)
        problems.push(`build.dockerfile is ${build?.dockerfile}, expected ${DOCKERFILE}`);
      if (build?.args['SERVICE'] !== name)
        problems.push(`build.args.SERVICE is ${build?.args['SERVICE']}, expected ${name}`);
      const stages = dockerfileStages(dockerfile);
      const target = build?.target ?? stages[stages.length - 1];
      if (target !== 'service') problems.push(`builds Dockerfile stage ${target}, expected "service"`);
      expect(problems).toEqual([]);
    });

    it('sets every required variable of its config spec, and no FEDOPS_ variable the spec does not know', () => {
      const env = serviceEnvironment(service(name));
      const known = new Set(Object.values(spec).map((v) => v.env));
      const problems = [
        ...requiredVariables(spec)
          .filter((v) => env[v] === undefined)
          .map((v) => `${v} is required by ${name}'s config spec but not set`),
        ...Object.keys(env)
          .filter((k) => k.startsWith('FEDOPS_') && !known.has(k))
          .map((k) => `${k} is not a variable of ${name}'s config spec (renamed?)`),
      ];
      expect(problems).toEqual([]);
    });

    it("passes the service's own config validation with the values of deploy/.env.example", () => {
      const env = resolvedEnvironment(service(name));
      let problems: string[] = [];
      try {
        loadConfig(name, spec, env);
      } catch (err: unknown) {
        if (!(err instanceof ConfigError)) throw err;
        problems = err.problems;
      }
      expect(problems).toEqual([]);
      expect(env['FEDOPS_HTTP_HOST']).toBe('0.0.0.0');
    });

    it('starts after postgres, nats and temporal (and its own dependencies) are healthy', () => {
      const deps = dependsOn(service(name));
      const problems: string[] = [];
      for (const dep of [...COMMON_DEPENDENCIES, ...(EXTRA_DEPENDENCIES[name] ?? [])]) {
        const d = deps.get(dep);
        if (d === undefined) problems.push(`depends_on lacks ${dep}`);
        else if (d.condition !== 'service_healthy')
          problems.push(`depends_on ${dep} has condition ${d.condition}, expected service_healthy`);
      }
      expect(problems).toEqual([]);
    });

    it('mounts the files its *_FILE variables name as compose secrets', () => {
      const s = service(name);
      const env = resolvedEnvironment(s);
      const problems: string[] = [];
      for (const v of Object.values(spec).filter((x) => x.env.endsWith('_FILE'))) {
        const path = env[v.env];
        if (path === undefined) continue;
        const secret = serviceSecrets(s).find((sec) => secretTarget(s, sec) === path);
        if (secret === undefined) problems.push(`${v.env}=${path} is not a secret mounted into ${name}`);
        else if (!compose.secrets.has(secret))
          problems.push(`secret ${secret} is not declared at the top level`);
      }
      expect(problems).toEqual([]);
    });

    it('keeps the folders it writes on a named volume', () => {
      const s = service(name);
      const env = resolvedEnvironment(s);
      const mounts = volumeMounts(s).filter((m) => m.kind === 'volume' && m.source !== undefined);
      const problems: string[] = [];
      for (const v of Object.values(spec)) {
        if (v.parse !== parsers.absolutePath || v.env.endsWith('_FILE')) continue;
        const dir = env[v.env];
        if (dir === undefined) continue;
        if (!mounts.some((m) => isUnder(dir, m.target)))
          problems.push(
            `${v.env}=${dir} is not on a named volume: its data would be lost with the container`,
          );
      }
      expect(problems).toEqual([]);
    });
  });

  it('gives each fedops service its own HTTP port (the deployer and backup share the provisioner network)', () => {
    const ports = FEDOPS_SERVICES.map((name) => resolvedEnvironment(service(name))['FEDOPS_HTTP_PORT']);
    expect(new Set(ports).size).toBe(FEDOPS_SERVICES.length);
  });

  it('publishes exactly the API and the Temporal UI, the API on its own HTTP port', () => {
    const published = [...compose.services.values()].flatMap((s) =>
      publishedPorts(s).map((p) => `${s.name} ${p.hostIp ?? '*'}:${p.published}->${p.target}`),
    );
    expect(published.sort()).toEqual([...EXPECTED_PUBLISHED_PORTS].sort());
    const apiPort = resolvedEnvironment(service('tenant-api'))['FEDOPS_HTTP_PORT'];
    expect(publishedPorts(service('tenant-api')).map((p) => p.target)).toEqual([apiPort]);
  });

  it('waits only on healthchecks that exist, on services that exist', () => {
    const problems: string[] = [];
    for (const s of compose.services.values()) {
      for (const [dep, d] of dependsOn(s)) {
        const target = compose.services.get(dep);
        if (target === undefined) problems.push(`${s.name} depends on undeclared service ${dep}`);
        else if (
          d.condition === 'service_healthy' &&
          !hasHealthcheck(target) &&
          buildSpec(target) === undefined
        )
          problems.push(`${s.name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      }
      const networkMode = s.raw['network_mode'];
      if (typeof networkMode === 'string' && networkMode.startsWith('service:')) {
        const other = networkMode.slice('service:'.length);
        if (!dependsOn(s).has(other))
          problems.push(`${s.name} joins ${other}'s network but does not depend on it`);
      }
    }
    // Built services rely on the Dockerfile's HEALTHCHECK.
    if (
      !dockerfileInstructions(dockerfile).some((l) => l.startsWith('HEALTHCHECK ') && l.includes('/healthz'))
    )
      problems.push(`${DOCKERFILE} has no HEALTHCHECK against /healthz`);
    for (const name of ['postgres', 'nats', 'temporal', 'pdns', 's3'])
      if (!hasHealthcheck(service(name))) problems.push(`${name} has no healthcheck`);
    expect(problems).toEqual([]);
  });

  it('declares every named volume and secret it uses, and bind-mounts files that exist', () => {
    const problems: string[] = [];
    const usedVolumes = new Set<string>();
    for (const s of compose.services.values()) {
      for (const m of volumeMounts(s)) {
        if (m.source === undefined) continue;
        if (m.kind === 'volume') {
          usedVolumes.add(m.source);
          if (!compose.volumes.has(m.source)) problems.push(`${s.name} uses undeclared volume ${m.source}`);
        } else if (!existsSync(join(repoRoot, m.source))) {
          problems.push(`${s.name} bind-mounts ${m.source}, which does not exist`);
        }
      }
      for (const sec of serviceSecrets(s))
        if (!compose.secrets.has(sec)) problems.push(`${s.name} uses undeclared secret ${sec}`);
    }
    for (const v of compose.volumes)
      if (!usedVolumes.has(v)) problems.push(`volume ${v} is declared but no service uses it`);
    expect(problems).toEqual([]);
  });

  it('takes every value it has no default for from deploy/.env.example', () => {
    const problems = stringLeaves(compose.raw).flatMap(({ path, value }) =>
      variableReferences(value)
        .filter((ref) => !ref.optional && (exampleEnv[ref.name] ?? '') === '')
        .map((ref) => `${path} needs ${ref.name}, which deploy/.env.example does not set`),
    );
    expect(problems).toEqual([]);
  });

  it('points the services at hosts of the stack', () => {
    const problems: string[] = [];
    for (const name of FEDOPS_SERVICES) {
      for (const [key, value] of Object.entries(resolvedEnvironment(service(name)))) {
        const host =
          /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^:/?#]+)/i.exec(value)?.[1] ??
          /^([a-z][a-z0-9-]*):\d+$/i.exec(value)?.[1];
        if (host === undefined || host.includes('.') || host === 'localhost') continue;
        if (!compose.services.has(host))
          problems.push(`${name}: ${key} points at ${host}, which is not a service`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('connects each fedops service as its own role, with the password the postgres service gets', () => {
    const problems: string[] = [];
    const postgresEnv = serviceEnvironment(service('postgres'));
    const roles = new Set<string>();
    for (const name of FEDOPS_SERVICES) {
      const raw = serviceEnvironment(service(name))['FEDOPS_DATABASE_URL'] ?? '';
      const url = new URL(resolvedEnvironment(service(name))['FEDOPS_DATABASE_URL'] ?? '');
      const role = `${SERVICE_ROLE_PREFIX}_${serviceSchema(name)}`;
      roles.add(url.username);
      if (url.username !== role)
        problems.push(`${name} connects as ${url.username}, expected its own role ${role}`);
      if (url.pathname !== '/fedops')
        problems.push(`${name} uses database ${url.pathname.slice(1)}, expected fedops`);
      const variable = passwordVariable(name);
      const refs = variableReferences(raw).map((ref) => ref.name);
      if (refs.join() !== variable)
        problems.push(`${name}'s URL takes its password from ${refs.join()}, expected ${variable}`);
      if (
        variableReferences(postgresEnv[variable] ?? '')
          .map((ref) => ref.name)
          .join() !== variable
      )
        problems.push(`postgres does not get ${variable}, so the init script cannot set ${role}'s password`);
    }
    if (roles.size !== FEDOPS_SERVICES.length) problems.push('two services share a database role');
    const stale = Object.keys(postgresEnv).filter(
      (key) => key.startsWith('FEDOPS_') && !FEDOPS_SERVICES.some((name) => passwordVariable(name) === key),
    );
    problems.push(...stale.map((key) => `postgres gets ${key}, which no service's role uses`));
    expect(problems).toEqual([]);
  });

  it('creates each service role, with its password, owning its schema, and Temporal’s role (init script)', () => {
    const initScript = read('deploy/postgres/initdb/10-fedops.sh');
    const rolesScript = read(COMPOSE_SERVICE_ROLES_FILE);
    const problems: string[] = [];
    if (!initScript.includes(`-f "$initdb_dir/${basename(COMPOSE_SERVICE_ROLES_FILE)}"`))
      problems.push(`10-fedops.sh does not run ${basename(COMPOSE_SERVICE_ROLES_FILE)}`);
    if (!initScript.includes("SELECT 'CREATE DATABASE fedops'"))
      problems.push('10-fedops.sh does not create database fedops');
    for (const name of FEDOPS_SERVICES) {
      const schema = serviceSchema(name);
      const role = `${SERVICE_ROLE_PREFIX}_${schema}`;
      const psqlVariable = psqlPasswordVariable({ schema, role });
      if (!rolesScript.includes(`CREATE ROLE ${role} LOGIN;`))
        problems.push(`the init SQL does not create role ${role}`);
      if (!rolesScript.includes(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${role};`))
        problems.push(`the init SQL does not create schema ${schema} for ${role}`);
      if (!rolesScript.includes(`PASSWORD :'${psqlVariable}';`))
        problems.push(`the init SQL does not set ${role}'s password`);
      if (!initScript.includes(`-v ${psqlVariable}="$${passwordVariable(name)}"`))
        problems.push(`10-fedops.sh does not pass ${passwordVariable(name)} as ${psqlVariable}`);
      if (!initScript.includes(`: "\${${passwordVariable(name)}:?`))
        problems.push(`10-fedops.sh does not stop when ${passwordVariable(name)} is unset`);
    }
    const temporalEnv = serviceEnvironment(service('temporal'));
    if (temporalEnv['DB'] !== 'postgres12')
      problems.push(`temporal DB is ${temporalEnv['DB']}, expected postgres12`);
    if (temporalEnv['POSTGRES_SEEDS'] !== 'postgres')
      problems.push('temporal POSTGRES_SEEDS must be postgres');
    if (!initScript.includes(`CREATE ROLE ${temporalEnv['POSTGRES_USER']} `))
      problems.push(
        `temporal connects as ${temporalEnv['POSTGRES_USER']}, which the init script does not create`,
      );
    expect(problems).toEqual([]);
  });

  it(`runs the service-role SQL that libs/testing generates (${COMPOSE_SERVICE_ROLES_COMMAND})`, () => {
    if (read(COMPOSE_SERVICE_ROLES_FILE) !== composeServiceRolesScript())
      throw new Error(`${COMPOSE_SERVICE_ROLES_FILE} is stale: run ${COMPOSE_SERVICE_ROLES_COMMAND}`);
  });

  it('connects each fedops service to NATS as its own user, with the password the nats service gets', () => {
    const problems: string[] = [];
    const natsEnv = resolvedEnvironment(service('nats'));
    const users = new Set<string>();
    for (const name of FEDOPS_SERVICES) {
      const env = resolvedEnvironment(service(name));
      const user = env['FEDOPS_NATS_USER'] ?? '';
      users.add(user);
      if (user !== name) problems.push(`${name} connects to NATS as ${user || 'nobody'}, expected ${name}`);
      const variable = natsPasswordVariable(name);
      const raw = serviceEnvironment(service(name))['FEDOPS_NATS_PASSWORD'] ?? '';
      if (
        variableReferences(raw)
          .map((r) => r.name)
          .join() !== variable
      )
        problems.push(`${name}: FEDOPS_NATS_PASSWORD is ${raw}, expected \${${variable}:?...}`);
      if (natsEnv[variable] === undefined || natsEnv[variable] !== env['FEDOPS_NATS_PASSWORD'])
        problems.push(`the nats service does not get ${variable}, ${name}'s password`);
    }
    if (users.size !== FEDOPS_SERVICES.length) problems.push('two fedops services share a NATS user');
    expect(problems).toEqual([]);
  });

  it('runs nats with the users and permissions of the harness, its passwords from .env', () => {
    const nats = service('nats');
    const command = nats.raw['command'];
    const problems: string[] = [];
    const configArg = Array.isArray(command) ? command.indexOf('-c') : -1;
    const target = Array.isArray(command) ? String(command[configArg + 1]) : '';
    if (configArg < 0) problems.push('nats-server is not started with -c <config file>');
    const mount = volumeMounts(nats).find((m) => m.target === target);
    if (mount?.source !== `./${COMPOSE_NATS_CONFIG_FILE}`)
      problems.push(`${target} is not bind-mounted from ./${COMPOSE_NATS_CONFIG_FILE}`);
    // The config file reads `$NAME` from the container's environment: every one must be set.
    const config = read(COMPOSE_NATS_CONFIG_FILE);
    const natsEnv = resolvedEnvironment(nats);
    for (const [, name] of config.matchAll(/^\s*password: \$([A-Z0-9_]+)$/gm))
      if (name === undefined || (natsEnv[name] ?? '') === '')
        problems.push(`the nats service does not set ${name}`);
    // nats-server parses each as a config value: it must read back as this very string.
    for (const [key, value] of Object.entries(exampleEnv))
      if (key.startsWith('FEDOPS_NATS_PASSWORD_') && !/^[A-Za-z][A-Za-z0-9_-]*$/.test(value))
        problems.push(
          `${key} in deploy/.env.example must start with a letter and be letters, digits, - or _`,
        );
    expect(problems).toEqual([]);
    if (config !== renderComposeNatsAuthConfig())
      throw new Error(`${COMPOSE_NATS_CONFIG_FILE} is stale: run ${COMPOSE_NATS_CONFIG_COMMAND}`);
  });

  it('runs the infrastructure images the platform is built for', () => {
    const image = (name: string): unknown => service(name).raw['image'];
    expect(image('postgres')).toBe('postgres:15');
    expect(String(image('nats'))).toMatch(/^nats:2\.10(-|$)/);
    expect(image('temporal')).toBe('temporalio/auto-setup:1.25');
    expect(image('temporal-ui')).toBe('temporalio/ui:2.31');
    expect(image('pdns')).toBe('powerdns/pdns-auth-48');
    expect(image('s3')).toBe('versity/versitygw:v1.8.0');
    const natsCommand = service('nats').raw['command'];
    expect(natsCommand).toEqual(expect.arrayContaining(['-js', '-sd', '/data']));
    expect(serviceEnvironment(service('temporal-ui'))['TEMPORAL_ADDRESS']).toBe('temporal:7233');
    // pdns and the dns service share one API key.
    expect(serviceEnvironment(service('pdns'))['PDNS_AUTH_API_KEY']).toBe(
      serviceEnvironment(service('dns'))['FEDOPS_POWERDNS_API_KEY'],
    );
    // s3 and the backup service share the root keys.
    const s3Env = serviceEnvironment(service('s3'));
    const backupEnv = serviceEnvironment(service('backup'));
    expect([s3Env['ROOT_ACCESS_KEY_ID'], s3Env['ROOT_SECRET_ACCESS_KEY']]).toEqual([
      backupEnv['FEDOPS_BACKUP_S3_ACCESS_KEY_ID'],
      backupEnv['FEDOPS_BACKUP_S3_SECRET_ACCESS_KEY'],
    ]);
  });

  it('gives the sandbox driver (evaluation only) the privileges it needs', () => {
    const provisioner = service('provisioner');
    expect(provisioner.raw['privileged']).toBe(true);
    expect(provisioner.raw['user']).toBe('root');
    // Sandbox machines live in the provisioner's network; the deployer and backup must reach them.
    expect(service('deployer').raw['network_mode']).toBe('service:provisioner');
    expect(service('backup').raw['network_mode']).toBe('service:provisioner');
  });
});

describe('deploy/Dockerfile', () => {
  it('installs and checks every program the services run', () => {
    const packages = aptPackages(dockerfile);
    const checked = checkedCommands(dockerfile);
    const problems: string[] = [];
    for (const { program, pkg, usedBy } of SERVICE_PROGRAMS) {
      if (pkg !== undefined && !packages.has(pkg))
        problems.push(`package ${pkg} (for ${program}, used by ${usedBy}) is not installed`);
      if (!checked.has(program))
        problems.push(`${program} (used by ${usedBy}) is not checked with command -v`);
    }
    expect(problems).toEqual([]);
  });

  it('builds the workspace, selects the service by ARG SERVICE and runs as a non-root user', () => {
    const lines = dockerfileInstructions(dockerfile);
    const problems: string[] = [];
    const want: Array<[string, (l: string) => boolean]> = [
      ['FROM node:20-bookworm-slim (as NODE_IMAGE)', (l) => /^ARG NODE_IMAGE=node:20-bookworm-slim$/.test(l)],
      ['RUN npm ci', (l) => l.startsWith('RUN ') && l.includes('npm ci')],
      ['RUN npx tsc -b tsconfig.json', (l) => l === 'RUN npx tsc -b tsconfig.json'],
      ['ARG SERVICE', (l) => l === 'ARG SERVICE'],
      ['USER node', (l) => l === 'USER node'],
      [
        'CMD running services/$SERVICE/dist/main.js',
        (l) => l.startsWith('CMD ') && l.includes('/dist/main.js'),
      ],
    ];
    for (const [what, test] of want) if (!lines.some(test)) problems.push(`missing: ${what}`);
    const stages = new Set(dockerfileStages(dockerfile));
    for (const s of compose.services.values()) {
      const target = buildSpec(s)?.target;
      if (target !== undefined && !stages.has(target))
        problems.push(`${s.name} builds unknown stage ${target}`);
    }
    expect(problems).toEqual([]);
  });

  it('keeps dependencies, build output and secrets out of the build context', () => {
    const ignored = new Set(
      read('.dockerignore')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#')),
    );
    const missing = ['**/node_modules', '**/dist', '.env', 'deploy/secrets', '.git'].filter(
      (p) => !ignored.has(p),
    );
    expect(missing.map((p) => `.dockerignore lacks ${p}`)).toEqual([]);
  });
});
