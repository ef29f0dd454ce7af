import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { RequestMethod, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';
import { DEFAULT_BACKUP_POLICY } from '@fedops/contracts';
import { listApps, validateAppSelections } from '@fedops/catalog';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';
import { openApiSchemaValidator, type OpenApiSchemaValidator } from '@fedops/testing';
import { AppModule } from '../app.module';
import { IS_PUBLIC_KEY, ROLES_KEY, SCOPES_EXTENSION, SCOPES_KEY } from '../auth';
import { CatalogController } from '../catalog/catalog.controller';
import { readTenantApiConfig } from '../config/tenant-api.config';
import { toProblem } from '../problem/problem-details.filter';
import type { TenantEntity } from '../tenants/tenant.entity';
import { toView } from '../tenants/tenant.service';
import type { OperationEntity } from '../operations/operation.entity';
import { toOperationView } from '../operations/operation.view';
import type { ApiTokenEntity } from '../api-tokens/api-token.entity';
import { toApiTokenView } from '../api-tokens/api-token.service';
import type { OrganisationMemberEntity } from '../organisations/organisation-member.entity';
import type { OrganisationEntity } from '../organisations/organisation.entity';
import { toMemberView, toOrganisationView } from '../organisations/organisation.service';
import { quotaExceededError } from '../quotas/quotas';
import { requireIfMatch } from '../http-conditions/entity-tag';
import { toProviderView } from '../providers/provider.dto';
import { parseMachineCleanupRequest, toCleanupResultView, toReconcileReportView } from '../fleet/fleet.dto';
import { unwrapRpcReply } from '../provisioner-rpc/provisioner-rpc';
import { BEARER_SCHEME, PROBLEM_MEDIA_TYPE, ROLES_EXTENSION } from './api-docs.decorators';
import { serialiseDocument } from './openapi-document';
import { OPENAPI_JSON_PATH, REGENERATE_COMMAND, buildPreviewDocument } from './openapi-preview';
import { SCHEMAS } from './schemas';

interface Route {
  controller: string;
  handler: string;
  verb: string;
  path: string;
  roles: unknown;
  /** `@Scopes` of the handler (undefined: API tokens are refused). */
  scopes: unknown;
  isPublic: boolean;
  /** Has a `@Body()` parameter. */
  takesBody: boolean;
}

/** Every HTTP route of AppModule's controllers, read from Nest's own metadata (path in OpenAPI form). */
function routesOf(controllers: Type[]): Route[] {
  return controllers.flatMap((controller) => {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    return Object.getOwnPropertyNames(controller.prototype).flatMap((name): Route[] => {
      const handler: unknown = Object.getOwnPropertyDescriptor(controller.prototype, name)?.value;
      if (typeof handler !== 'function') return [];
      const method: unknown = Reflect.getMetadata(METHOD_METADATA, handler);
      if (typeof method !== 'number') return [];
      const segments = [prefix, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')]
        .flatMap((p) => p.split('/'))
        .filter((s) => s !== '');
      return [
        {
          controller: controller.name,
          handler: name,
          verb: String(RequestMethod[method]).toLowerCase(),
          path: '/' + segments.map((s) => s.replace(/^:(\w+)$/, '{$1}')).join('/'),
          roles: Reflect.getMetadata(ROLES_KEY, handler) ?? Reflect.getMetadata(ROLES_KEY, controller),
          scopes: Reflect.getMetadata(SCOPES_KEY, handler),
          isPublic:
            (Reflect.getMetadata(IS_PUBLIC_KEY, handler) ??
              Reflect.getMetadata(IS_PUBLIC_KEY, controller)) === true,
          // Nest keys route parameters `<RouteParamtypes>:<index>`.
          takesBody: Object.keys(
            (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as object,
          ).some((key) => key.split(':')[0] === String(RouteParamtypes.BODY)),
        },
      ];
    });
  });
}

function appControllers(): Type[] {
  const config = readTenantApiConfig({
    FEDOPS_HTTP_PORT: '0',
    FEDOPS_DATABASE_URL: 'postgres://spec.invalid/fedops',
    FEDOPS_NATS_URL: 'nats://spec.invalid:4222',
    FEDOPS_NATS_USER: 'tenant-api',
    FEDOPS_NATS_PASSWORD: 'spec',
    FEDOPS_TEMPORAL_ADDRESS: 'spec.invalid:7233',
    FEDOPS_OIDC_ISSUER_URL: 'https://issuer.spec.invalid',
  });
  return (AppModule.register(config, new JsonLogger('tenant-api', 'error')).controllers ?? []) as Type[];
}

function operationOf(document: OpenAPIObject, route: Route): OperationObject | undefined {
  const item = document.paths[route.path] as Record<string, OperationObject | undefined> | undefined;
  return item?.[route.verb];
}

let document: OpenAPIObject;
let schemas: OpenApiSchemaValidator;
const routes = routesOf(appControllers());

beforeAll(async () => {
  document = await buildPreviewDocument();
  schemas = openApiSchemaValidator(document);
});

/**
 * Where `value`, as the API sends it (JSON: undefined members dropped, dates as strings), breaks the
 * document's component schema `name`; empty when it conforms.
 */
function violations(name: keyof typeof SCHEMAS, value: unknown): string[] {
  return schemas.violations(name, JSON.parse(JSON.stringify(value)) as unknown);
}

describe('docs/openapi.json', () => {
  it('is what the controllers generate', async () => {
    // Compared as data: the file's layout is prettier's (see generate-openapi.ts), its content must match.
    const committed: unknown = JSON.parse(await readFile(OPENAPI_JSON_PATH, 'utf8').catch(() => 'null'));
    if (!isDeepStrictEqual(committed, JSON.parse(serialiseDocument(document)))) {
      throw new Error(`docs/openapi.json is stale: run ${REGENERATE_COMMAND}`);
    }
  });
});

describe('the OpenAPI document', () => {
  it('finds the routes of every controller and those that take a body', () => {
    expect(routes.map((r) => `${r.verb} ${r.path}`).sort()).toEqual(
      [
        'delete /v1/tenants/{id}',
        'get /v1/apps',
        'get /v1/apps/{id}',
        'get /v1/audit',
        'get /v1/machines',
        'post /v1/machines/cleanup',
        'get /v1/operations',
        'get /v1/operations/{id}',
        'post /v1/operations/{id}/cancel',
        'post /v1/operations/{id}/retry',
        'get /v1/tenants',
        'get /v1/tenants/{id}',
        'patch /v1/tenants/{id}',
        'post /v1/tenants/{id}/reconcile',
        'get /v1/tenants/{id}/snapshots',
        'get /v1/tenants/{id}/backup-policy',
        'put /v1/tenants/{id}/backup-policy',
        'post /v1/tenants/{id}/backups',
        'post /v1/tenants/{id}/restores',
        'get /v1/tenants/{id}/events',
        'post /v1/tenants/{id}/events/tickets',
        'post /v1/tenants/{id}/apps/{app}/admin-credentials',
        'post /v1/tenants',
        'get /v1/organisations',
        'post /v1/organisations',
        'get /v1/organisations/{id}',
        'patch /v1/organisations/{id}',
        'delete /v1/organisations/{id}',
        'get /v1/organisations/{id}/members',
        'post /v1/organisations/{id}/members',
        'delete /v1/organisations/{id}/members/{subject}',
        'get /v1/tokens',
        'post /v1/tokens',
        'delete /v1/tokens/{id}',
        'get /v1/providers',
        'post /v1/providers',
        'get /v1/providers/{provider}',
        'post /v1/providers/{provider}/test',
        'delete /v1/providers/{provider}',
      ].sort(),
    );
    expect(
      routes
        .filter((r) => r.takesBody)
        .map((r) => `${r.verb} ${r.path}`)
        .sort(),
    ).toEqual([
      'patch /v1/organisations/{id}',
      'patch /v1/tenants/{id}',
      'post /v1/machines/cleanup',
      'post /v1/organisations',
      'post /v1/organisations/{id}/members',
      'post /v1/providers',
      'post /v1/tenants',
      'post /v1/tenants/{id}/backups',
      'post /v1/tenants/{id}/restores',
      'post /v1/tokens',
      'put /v1/tenants/{id}/backup-policy',
    ]);
  });

  it('documents exactly the routes of the controllers', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((k) => ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(k))
        .map((verb) => `${verb} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.verb} ${r.path}`).sort());
  });

  it.each(routes.map((r) => [`${r.controller}.${r.handler}`, r] as const))(
    '%s: security, roles, success and problem responses',
    (_name, route) => {
      const operation = operationOf(document, route);
      if (operation === undefined)
        throw new Error(`${route.verb.toUpperCase()} ${route.path} is not documented`);
      expect(operation.operationId).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.tags?.length).toBeGreaterThan(0);

      if (route.isPublic) {
        expect(operation.security ?? []).toEqual([]);
      } else {
        expect(operation.security).toEqual([{ [BEARER_SCHEME]: [] }]);
        expect((operation as unknown as Record<string, unknown>)[ROLES_EXTENSION]).toEqual(route.roles);
        expect((operation as unknown as Record<string, unknown>)[SCOPES_EXTENSION]).toEqual(route.scopes);
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403']));
      }
      for (const param of ['id', 'provider', 'app']) {
        if (!route.path.includes(`{${param}}`)) continue;
        expect(Object.keys(operation.responses)).toContain('404');
        expect(operation.parameters).toEqual(
          expect.arrayContaining([expect.objectContaining({ name: param, in: 'path', required: true })]),
        );
      }

      const statuses = Object.keys(operation.responses);
      expect(statuses.some((s) => /^2\d\d$/.test(s))).toBe(true);
      for (const status of statuses) {
        const response = operation.responses[status] as ResponseObject;
        expect(response.description).not.toBe('');
        if (Number(status) >= 400) {
          expect(response.content).toEqual({
            [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetails' } },
          });
        } else {
          expect(Object.keys(response.content ?? {}).length).toBeGreaterThan(0);
        }
      }
    },
  );

  it.each(routes.filter((r) => r.takesBody).map((r) => [`${r.controller}.${r.handler}`, r] as const))(
    '%s takes a body: documents a required JSON request body and the 400, 413 and 415 problems',
    (_name, route) => {
      const operation = operationOf(document, route);
      const body = operation?.requestBody as { required?: boolean; content?: object } | undefined;
      expect(body?.required).toBe(true);
      expect(Object.keys(body?.content ?? {})).toEqual(['application/json']);
      expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['400', '413', '415']));
    },
  );

  it('documents the 400 of an invalid Idempotency-Key on every operation that reads one', () => {
    const reading = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, OperationObject>)
        .filter(([, op]) =>
          (op.parameters ?? []).some((p) => 'name' in p && p.name === 'Idempotency-Key' && p.in === 'header'),
        )
        .map(([verb, op]) => ({ operation: `${verb} ${path}`, has400: '400' in op.responses })),
    );
    expect(reading.length).toBeGreaterThan(0);
    expect(reading.filter((r) => !r.has400)).toEqual([]);
  });

  it('has unique operation ids', () => {
    const ids = routes.map((r) => operationOf(document, r)?.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('resolves every schema reference', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(0);
    for (const name of refs) expect(document.components?.schemas).toHaveProperty([name ?? '']);
  });

  it('declares the bearer scheme and the package version', () => {
    expect(document.components?.securitySchemes?.[BEARER_SCHEME]).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(document.info.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('the schemas describe what the API sends', () => {
  it('ProblemDetails: a validation problem, an unexpected error, a missing resource and a body too large', () => {
    const invalid = toProblem(
      FedopsError.validation([{ field: 'domain', message: 'must be a domain name' }]),
      '/v1/tenants',
    );
    expect(violations('ProblemDetails', invalid)).toEqual([]);
    expect(violations('ProblemDetails', toProblem(new Error('boom')))).toEqual([]);
    expect(
      violations('ProblemDetails', toProblem(new FedopsError(FedopsErrorCode.NotFound, 'gone'))),
    ).toEqual([]);
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      type: 'entity.too.large',
      limit: 65536,
    });
    expect(violations('ProblemDetails', toProblem(tooLarge, '/v1/tenants'))).toEqual([]);
  });

  it('CatalogAppList and CatalogApp: the catalog as GET /v1/apps and GET /v1/apps/{id} return it', () => {
    const controller = new CatalogController();
    const body = controller.list();
    expect(body.items.map((a) => a.id)).toEqual(listApps().map((a) => a.id));
    expect(violations('CatalogAppList', body)).toEqual([]);
    for (const app of listApps()) {
      expect(controller.get(app.id)).toEqual(body.items.find((a) => a.id === app.id));
      expect(violations('CatalogApp', controller.get(app.id))).toEqual([]);
    }
    // An internal field that reached the view (an endpoint's loopback port) is outside the schema.
    const leaky = {
      ...controller.get('mastodon'),
      endpoints: [{ ...controller.get('mastodon').endpoints[0], port: 3000 }],
    };
    expect(violations('CatalogApp', leaky)).not.toEqual([]);
  });

  it('ProblemDetails: GET /v1/apps/{id} of an app the catalog does not have is a 404 naming the known ones', () => {
    let problem: unknown;
    try {
      new CatalogController().get('myspace');
    } catch (err) {
      problem = toProblem(err, '/v1/apps/myspace');
    }
    expect(problem).toMatchObject({
      status: 404,
      code: FedopsErrorCode.NotFound,
      detail: expect.stringMatching(/^App "myspace" is not in the catalog; it has: mastodon, pixelfed, /),
    });
    expect(violations('ProblemDetails', problem)).toEqual([]);
  });

  it.each([
    { app: 'mastodon', options: { registrations: 'closed', adminUsername: 'alice' } },
    { app: 'mastodon', options: { adminUsername: 'admin' } },
    { app: 'mastodon', options: { maxTootChars: 500 } },
    { app: 'gotosocial', options: { accountsApprovalRequired: true } },
    { app: 'pixelfed', options: { maxPhotoSizeKiB: 20000 } },
    { app: 'pixelfed', options: { maxPhotoSizeKiB: 'lots' } },
    { app: 'matrix', options: { element: false, turnSubdomain: 'relay' } },
    { app: 'matrix', options: { turn: 'yes' } },
    { app: 'forgejo' },
    { app: 'myspace' },
  ])(
    'CreateTenantRequest: the apps entry %j fits the document exactly when validation accepts it',
    (entry) => {
      const accepted = validateAppSelections([entry]).length === 0;
      const fits = violations('CreateTenantRequest', { domain: 'acme.example', apps: [entry] }).length === 0;
      expect({ entry, fits }).toEqual({ entry, fits: accepted });
    },
  );

  it('TenantView: a failed tenant, a drifted one', () => {
    const id = '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e';
    const entity = {
      id,
      orgId: 'acme',
      domain: 'acme.example',
      apps: [{ app: 'mastodon', options: { subdomain: 'social' } }],
      hostnames: [{ app: 'mastodon', fqdn: 'social.acme.example', port: 3000 }],
      provider: 'sandbox',
      status: 'failed',
      lastOperationId: '5f0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
      error: 'The deployment failed while creating the machine.',
      drift: null,
      backupPolicy: DEFAULT_BACKUP_POLICY,
      lastBackupAt: new Date(),
      lastBackupFailedAt: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    } as unknown as TenantEntity;
    expect(violations('TenantView', toView(entity))).toEqual([]);
    const drifted = {
      ...entity,
      status: 'ready',
      error: null,
      drift: {
        detectedAt: new Date().toISOString(),
        expected: { generation: 2, configHash: 'b'.repeat(64) },
        found: { generation: 1 },
      },
    } as TenantEntity;
    expect(violations('TenantView', toView(drifted))).toEqual([]);
    expect(toView(drifted).drift?.message).toBe(
      'The machine runs generation 1, not generation 2 that fedops activated last. ' +
        `POST /v1/tenants/${id}/reconcile puts the desired configuration back.`,
    );
    expect(violations('TenantList', { items: [toView(entity)] })).toEqual([]);
    const placed = {
      ...entity,
      placement: {
        machineId: '7d0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
        providerId: '9a0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
        providerName: 'sandbox-b',
        kind: 'sandbox',
        location: 'local',
        plan: 'small',
        reason: 'provider sandbox-b as asked; 1 of 1 places fit plan small',
      },
    } as TenantEntity;
    expect(toView(placed).placement).toEqual({
      machineId: '7d0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
      provider: 'sandbox-b',
      location: 'local',
      plan: 'small',
      reason: 'provider sandbox-b as asked; 1 of 1 places fit plan small',
    });
    expect(violations('TenantView', toView(placed))).toEqual([]);
  });

  it('AdminCredentials: an app with an e-mail and one without; nothing else may be added', () => {
    const forgejo = {
      app: 'forgejo',
      username: 'owner',
      email: 'owner@acme.example',
      password: 'xK4tq9PzR2mWb7LcN3vHj8Ds',
      loginUrl: 'https://git.acme.example/',
    };
    expect(violations('AdminCredentials', forgejo)).toEqual([]);
    const matrix: Partial<typeof forgejo> = {
      ...forgejo,
      app: 'matrix',
      loginUrl: 'https://matrix.acme.example/',
    };
    delete matrix.email;
    expect(violations('AdminCredentials', matrix)).toEqual([]);
    expect(violations('AdminCredentials', { ...forgejo, tenantSecret: 'x' })).not.toEqual([]);
  });

  it('ProblemDetails: GONE with the time the admin credentials were revealed', () => {
    const problem = toProblem(
      new FedopsError(FedopsErrorCode.Gone, 'The admin credentials of forgejo were already revealed', {
        extensions: { revealedAt: '2026-12-01T10:00:00.000Z' },
      }),
      '/v1/tenants/0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e/apps/forgejo/admin-credentials',
    );
    expect(problem).toMatchObject({ status: 410, code: 'GONE', revealedAt: '2026-12-01T10:00:00.000Z' });
    expect(violations('ProblemDetails', problem)).toEqual([]);
  });

  it('ProviderView and ProviderList: a provider as the provisioner describes it, tested and never', () => {
    const provider = {
      id: '9a0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
      name: 'hetzner-main',
      kind: 'hetzner' as const,
      endpoint: null,
      locations: ['fsn1', 'nbg1'],
      plans: [{ name: 'small', vcpus: 2, memoryMiB: 4096, diskGiB: 80, size: 'cpx21' }],
      image: 'ubuntu-24.04',
      settings: {},
      quotas: { machines: 10 },
      status: 'active' as const,
      credentialFields: ['token'],
      lastCheck: {
        ok: true,
        at: new Date().toISOString(),
        message: 'connected',
        locations: ['fsn1', 'nbg1'],
      },
      usage: { machines: 1, vcpus: 2, memoryMiB: 4096 },
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    const view = toProviderView({ ...provider, credentials: { token: 'must-not-pass' } } as typeof provider);
    expect(JSON.stringify(view)).not.toContain('must-not-pass');
    expect(view.links).toEqual({
      self: `/v1/providers/${provider.id}`,
      test: `/v1/providers/${provider.id}/test`,
    });
    expect(violations('ProviderView', view)).toEqual([]);
    const untested = toProviderView({ ...provider, lastCheck: null, endpoint: 'https://api.example' });
    expect(violations('ProviderList', { items: [view, untested], nextCursor: 'abc' })).toEqual([]);
  });

  it('ProviderRegistration: what parseProviderRegistration takes fits, unknown credentials do not', () => {
    const proxmox = {
      name: 'pve-fra1',
      kind: 'proxmox',
      endpoint: 'https://pve.example.net:8006',
      credentials: { tokenId: 'fedops@pve!api', tokenSecret: 'secret' },
      locations: ['pve1', 'pve2'],
      plans: [{ name: 'small', vcpus: 1, memoryMiB: 1024, diskGiB: 10 }],
      image: '9000',
      settings: { storage: 'local-lvm', bridge: 'vmbr0' },
      quotas: { machines: 20, vcpus: 64 },
    };
    expect(violations('ProviderRegistration', proxmox)).toEqual([]);
    expect(violations('ProviderRegistration', { ...proxmox, credentials: { password: 'x' } })).toEqual([
      '$.credentials.password: not in the schema',
    ]);
  });

  it('MachineRef: a machine with its provider and location', () => {
    const machine = {
      machineId: '7d0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
      tenantId: '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e',
      provider: 'sandbox',
      providerId: '9a0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
      location: 'local',
      address: '10.213.0.2',
      sshPort: 22,
      sshUser: 'root',
      sshHostKey: 'ssh-ed25519 AAAA',
      fsRoot: '/',
      activation: 'sandbox-standin',
    };
    expect(violations('MachineList', { items: [machine], reconciliation: null })).toEqual([]);
    expect(violations('MachineList', { items: [machine] })).toEqual(['$.reconciliation: missing']);
  });

  it("MachineList, MachineCleanupRequest and MachineCleanupResult: the reconciler's report and a cleanup", () => {
    const orphan = {
      kind: 'orphan' as const,
      providerId: '9a0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
      providerName: 'sandbox',
      externalId: 'fte-0a1b2c3d',
      name: 'fedops-7d0c2a9e',
      machineId: '7d0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
      tenantId: '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e',
      firstSeenAt: new Date().toISOString(),
      lastSeenAt: new Date().toISOString(),
    };
    const unlabelled = { ...orphan, machineId: null, tenantId: null, externalId: 'fte-0a1b2c3e' };
    const report = toReconcileReportView({
      checkedAt: new Date().toISOString(),
      providers: [
        { providerId: orphan.providerId, name: 'sandbox', ok: true, machines: 2 },
        { providerId: '8a0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f', name: 'b', ok: false, error: 'x', machines: 0 },
      ],
      findings: [orphan, unlabelled, { ...orphan, kind: 'missing', externalId: 'fte-0a1b2c3f' }],
    });
    expect(violations('ReconcileReport', report)).toEqual([]);
    expect(violations('MachineList', { items: [], reconciliation: report })).toEqual([]);
    const result = toCleanupResultView({
      dryRun: true,
      orphans: [orphan],
      skipped: [{ externalId: 'fte-0a1b2c3e', providerName: 'sandbox', why: 'gone at the provider' }],
    });
    expect(violations('MachineCleanupResult', result)).toEqual([]);
    expect(violations('MachineCleanupRequest', parseMachineCleanupRequest({ dryRun: false }))).toEqual([]);
    expect(violations('MachineCleanupRequest', {})).toEqual(['$.dryRun: missing']);
  });

  it("ProblemDetails: the provisioner's conflicts, with the machines or refusals they name", () => {
    const problemOf = (reply: unknown): unknown => {
      try {
        unwrapRpcReply(reply);
      } catch (err) {
        return toProblem(err, '/v1/providers/sandbox-b');
      }
      throw new Error('expected an error reply');
    };
    const holding = problemOf({
      ok: false,
      error: {
        code: 'CONFLICT',
        message: 'Provider "sandbox-b" still holds 1 machine(s)',
        extensions: {
          machines: [
            {
              id: '7d0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
              name: 'fedops-7d0c2a9e',
              tenantId: '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e',
            },
          ],
        },
      },
    });
    expect(holding).toMatchObject({
      status: 409,
      machines: [expect.objectContaining({ name: 'fedops-7d0c2a9e' })],
    });
    expect(violations('ProblemDetails', holding)).toEqual([]);
    const full = problemOf({
      ok: false,
      error: {
        code: 'CONFLICT',
        message: 'No provider has room for a small machine: tiny: quota of 0 machines reached',
        extensions: { refusals: ['tiny: quota of 0 machines reached'] },
      },
    });
    expect(violations('ProblemDetails', full)).toEqual([]);
  });

  it('OperationView and OperationList: a failed deploy and a failed update as ops staff and as operators see them', () => {
    const deploy = {
      id: '5f0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
      kind: 'deploy',
      tenantId: '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e',
      orgId: 'acme',
      requestedBy: 'fedops-operator-acme',
      status: 'failed',
      steps: [{ name: 'provision', status: 'failed', startedAt: new Date().toISOString(), error: 'raw' }],
      failedStep: 'provision',
      error: 'The deployment failed while creating the machine.',
      errorDetail: 'raw',
      retryOf: null,
      change: null,
      params: null,
      createdAt: new Date(),
      startedAt: new Date(),
      finishedAt: new Date(),
    } as unknown as OperationEntity;
    const update = {
      ...deploy,
      kind: 'update',
      failedStep: 'deploy',
      change: {
        from: { apps: [{ app: 'forgejo', options: {} }], hostnames: [] },
        to: { apps: [{ app: 'matrix', options: {} }], hostnames: [] },
      },
    } as unknown as OperationEntity;
    const backup = {
      ...deploy,
      kind: 'backup',
      failedStep: 'retention',
      params: { backup: { apps: ['forgejo'], reason: 'scheduled', policy: DEFAULT_BACKUP_POLICY } },
    } as unknown as OperationEntity;
    const restore = {
      ...deploy,
      kind: 'restore',
      failedStep: 'restore',
      params: { restore: { snapshotIds: ['a'.repeat(64)], strategy: 'in-place' } },
    } as unknown as OperationEntity;
    for (const op of [deploy, update, backup, restore]) {
      for (const principal of [
        { subject: 'ops', roles: ['ops' as const] },
        { subject: 'op', roles: ['operator' as const], orgId: 'acme' },
      ]) {
        const view = toOperationView(op, principal);
        expect(violations('OperationView', view)).toEqual([]);
        expect(violations('OperationList', { items: [view], nextCursor: 'abc' })).toEqual([]);
      }
    }
    expect(toOperationView(update, { subject: 'ops', roles: ['ops'] }).change).toEqual({
      added: ['matrix'],
      removed: ['forgejo'],
      changed: [],
    });
  });

  it('ProblemDetails: QUOTA_EXCEEDED and PRECONDITION_FAILED with their extension members', () => {
    const quota = toProblem(
      quotaExceededError('acme', [
        { quota: 'tenants', limit: 1, used: 1, requested: 1, exceededBy: 1 },
        { quota: 'vcpu', limit: 2, used: 2, requested: 2, exceededBy: 2 },
      ]),
      '/v1/tenants',
    );
    expect(quota).toMatchObject({ status: 403, quota: 'tenants', limit: 1, used: 1, requested: 1 });
    expect(violations('ProblemDetails', quota)).toEqual([]);
    let stale: unknown;
    try {
      requireIfMatch('"old"', '"new"', 'organisation acme');
    } catch (err) {
      stale = toProblem(err, '/v1/organisations/acme');
    }
    expect(stale).toMatchObject({ status: 412, currentETag: '"new"' });
    expect(violations('ProblemDetails', stale)).toEqual([]);
  });

  it('OrganisationView, MemberView and their lists', () => {
    const organisation = {
      id: 'acme',
      name: 'Acme Corporation',
      quotas: { tenants: 3, vcpu: 8 },
      version: 2,
      createdAt: new Date(),
      updatedAt: new Date(),
    } as OrganisationEntity;
    const usage = { tenants: 1, apps: 2, vcpu: 3, memoryMiB: 4608, storageGiB: 25 };
    expect(violations('OrganisationView', toOrganisationView(organisation, usage))).toEqual([]);
    expect(violations('OrganisationList', { items: [toOrganisationView(organisation)] })).toEqual([]);
    const member = {
      id: '0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e',
      orgId: 'acme',
      issuer: 'https://id.example.net',
      subject: 'auth0|carol',
      role: 'operator',
      addedBy: 'fedops-ops',
      createdAt: new Date(),
    } as OrganisationMemberEntity;
    expect(violations('MemberView', toMemberView(member))).toEqual([]);
    expect(violations('MemberList', { items: [toMemberView(member)], nextCursor: 'abc' })).toEqual([]);
  });

  it('ApiToken, CreatedApiToken and ApiTokenList: an operator token, used and revoked', () => {
    const token = {
      id: '0123456789abcdef01234567',
      name: 'ci',
      secretSha256: Buffer.alloc(32),
      roles: ['operator'],
      orgId: 'acme',
      scopes: ['tenants:read'],
      createdBy: 'fedops-operator-acme',
      createdByIssuer: 'https://id.example.net',
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 60_000),
      revokedAt: new Date(),
      lastUsedAt: new Date(),
    } as ApiTokenEntity;
    const view = toApiTokenView(token);
    expect(view.status).toBe('revoked');
    expect(violations('ApiToken', view)).toEqual([]);
    expect(violations('ApiTokenList', { items: [view] })).toEqual([]);
    const created = { ...view, token: `fdo_${token.id}_${'A'.repeat(43)}` };
    expect(violations('CreatedApiToken', created)).toEqual([]);
  });

  it('every component schema compiles as JSON Schema 2020-12 in strict mode', () => {
    const names = Object.keys(document.components?.schemas ?? {});
    expect(names.sort()).toEqual(Object.keys(SCHEMAS).sort());
    for (const name of names) expect(() => schemas.violations(name, null)).not.toThrow();
  });

  it('the checker itself rejects what does not fit', () => {
    expect(violations('FieldError', { field: 'x' })).toEqual(['$.message: missing']);
    expect(violations('TenantView', { status: 'sleeping' })).toContain(
      '$.status: "sleeping" is not in the enum',
    );
    expect(violations('FieldError', { field: 'x', message: 'y', hint: 'z' })).toEqual([]);
    expect(violations('CreateApiTokenRequest', { name: 'ci', scopes: [], extra: 1 })).toEqual([
      '$.extra: not in the schema',
      '$.scopes: must NOT have fewer than 1 items',
    ]);
    expect(violations('TenantView', { id: 'not-a-uuid' })).toContain('$.id: must match format "uuid"');
    expect(
      violations('UpdateOrganisationRequest', { quotas: { tenants: null, vcpu: -1 } }).filter((v) =>
        v.startsWith('$.quotas.vcpu'),
      ),
    ).toContain('$.quotas.vcpu: must be >= 0');
  });
});
