import type { SchemaObject } from '@nestjs/swagger';
import {
  appOptionsJsonSchema,
  listApps,
  type AppDefinition,
  type AppEndpoint,
  type OptionType,
  type SupportLevel,
} from '@fedops/catalog';
import {
  EVENT_KINDS,
  OPERATION_KINDS,
  DEFAULT_BACKUP_POLICY,
  RETENTION_KEYS,
  RESTORE_STRATEGIES,
  SNAPSHOT_REASONS,
  OPERATION_STATUSES,
  OPERATION_STEP_STATUSES,
  PROVIDER_STATUSES,
  RESOURCE_PROVIDER_KINDS,
  TENANT_STATUSES,
} from '@fedops/contracts';
import { FedopsErrorCode, PROVIDER_KIND_RULES } from '@fedops/domain';
import { HttpProblemCode } from '../problem/problem-details.filter';
import { SCOPES, SCOPE_DESCRIPTIONS } from '../auth/scopes';
import {
  API_TOKEN_STATUSES,
  DEFAULT_EXPIRES_IN_SECONDS,
  MAX_EXPIRES_IN_SECONDS,
} from '../api-tokens/api-token.dto';
import { MAX_QUOTA, QUOTA_DESCRIPTIONS, QUOTA_NAMES } from '../quotas/quotas';
import { PROVIDER_NAME_PATTERN } from '../providers/provider.dto';
import { DEFAULT_PLAN, LOCATION_PATTERN, PLAN_PATTERN } from '../tenants/tenant.dto';

/**
 * The public API's schemas as plain OpenAPI 3 schema objects. Request bodies are parsed by hand
 * (`parseCreateTenantRequest`) and responses are interfaces, so nothing can be inferred from classes:
 * these describe them explicitly. Enumerations come from the contracts and the catalog, so a new
 * status, provider, event kind or app shows up here (and makes docs/openapi.json stale). Each app's
 * options are the catalog's own JSON Schema (appOptionsJsonSchema, the specs validation reads): no
 * copy of them is kept here.
 */

const OPTION_VALUE: SchemaObject = {
  oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }],
};

const APP_OPTIONS: SchemaObject = {
  type: 'object',
  description:
    'Option values of the app. The allowed keys, their types and defaults depend on the app: ' +
    'GET /v1/apps lists them per app (`options`, and as JSON Schema `optionsSchema`; here: AppOptions_<app>). ' +
    'Every app has `subdomain`, the DNS label it answers on under the tenant domain. Unknown keys and values ' +
    'of the wrong type are rejected with 400.',
  additionalProperties: OPTION_VALUE,
  example: { subdomain: 'social' },
};

/** `{ const: value }`: JSON Schema 2020-12, which @nestjs/swagger's SchemaObject type does not name. */
function constant(value: string): SchemaObject {
  return { const: value } as SchemaObject;
}

/** Component names of the schemas made per catalog app. */
type AppSchemaName = `AppOptions_${string}` | `AppSelection_${string}`;

/**
 * One app of a tenant request: its id and its options, as the catalog's JSON Schema of them (the
 * same specs POST /v1/tenants validates with; subdomain collisions between apps are checked there too).
 */
function appSelectionSchema(app: AppDefinition): SchemaObject {
  return {
    type: 'object',
    description: `${app.name} in a tenant: \`options\` may be left out (every default applies).`,
    required: ['app'],
    additionalProperties: false,
    properties: {
      app: { ...constant(app.id), description: 'Id of the catalog app (GET /v1/apps).' },
      options: schemaRef(`AppOptions_${app.id}`),
    },
  };
}

const APP_SCHEMAS = Object.fromEntries(
  listApps().flatMap((app) => [
    // JSON Schema 2020-12 is what an OpenAPI 3.1 Schema Object is; the catalog's type is the plain JSON.
    [`AppOptions_${app.id}`, appOptionsJsonSchema(app) as SchemaObject],
    [`AppSelection_${app.id}`, appSelectionSchema(app)],
  ]),
) as Record<AppSchemaName, SchemaObject>;

/** `apps[]` of a tenant request: one of the catalog's apps, told apart by `app`. */
const APP_SELECTION: SchemaObject = {
  description:
    'An app to run, by id (GET /v1/apps), with its option values: AppSelection_<app> for each app of the ' +
    'catalog, told apart by `app`.',
  oneOf: listApps().map((app) => schemaRef(`AppSelection_${app.id}`)),
  discriminator: {
    propertyName: 'app',
    mapping: Object.fromEntries(listApps().map((app) => [app.id, schemaRef(`AppSelection_${app.id}`).$ref])),
  },
};

const TIMESTAMP: SchemaObject = { type: 'string', format: 'date-time' };
const STRINGS: SchemaObject = { type: 'array', items: { type: 'string' } };

const ProblemDetails: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details, sent as application/problem+json with every error.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: {
      type: 'string',
      format: 'uri',
      description: 'Identifies the problem kind, derived from `code`.',
      example: 'https://fedops.dev/problems/validation-failed',
    },
    title: { type: 'string', description: 'Short summary of the status.', example: 'Invalid request' },
    status: { type: 'integer', description: 'The HTTP status code.', example: 400 },
    detail: {
      type: 'string',
      description: 'What went wrong with this request. Internal errors do not reveal details.',
      example: 'Invalid input: domain: must be a domain name',
    },
    instance: { type: 'string', description: 'The request path.', example: '/v1/tenants' },
    code: {
      type: 'string',
      description:
        'Machine-readable error code: one of the fedops error codes, one of the request-body codes of the ' +
        'HTTP layer, or HTTP_<status> for other errors the HTTP layer raises (e.g. a malformed path). ' +
        `Codes: ${[...Object.values(FedopsErrorCode), ...Object.values(HttpProblemCode)].join(', ')}.`,
      example: FedopsErrorCode.ValidationFailed,
    },
    errors: {
      type: 'array',
      description:
        'With VALIDATION_FAILED: every bad field of the request, named by its path (INVALID_REFERENCE: the ' +
        'field naming what does not exist).',
      items: { $ref: '#/components/schemas/FieldError' },
    },
    org: { type: 'string', description: 'With QUOTA_EXCEEDED: the organisation.', example: 'acme' },
    quota: {
      type: 'string',
      enum: [...QUOTA_NAMES],
      description: 'With QUOTA_EXCEEDED: the (first) limit the request would pass.',
    },
    limit: { type: 'integer', description: 'With QUOTA_EXCEEDED: the limit.', example: 3 },
    used: { type: 'integer', description: 'With QUOTA_EXCEEDED: how much is in use.', example: 3 },
    requested: {
      type: 'integer',
      description: 'With QUOTA_EXCEEDED: how much the request asks for.',
      example: 1,
    },
    exceededBy: {
      type: 'integer',
      description: 'With QUOTA_EXCEEDED: `used + requested - limit`.',
      example: 1,
    },
    exceeded: {
      type: 'array',
      description: 'With QUOTA_EXCEEDED: every limit the request would pass.',
      items: { $ref: '#/components/schemas/QuotaExcess' },
    },
    currentETag: {
      type: 'string',
      description: 'With PRECONDITION_FAILED: the ETag of the current version.',
    },
    machines: {
      type: 'array',
      description: 'With CONFLICT on removing a provider: the machines it still holds.',
      items: {
        type: 'object',
        required: ['id', 'name', 'tenantId'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          tenantId: { type: 'string', format: 'uuid' },
        },
      },
    },
    tenants: {
      type: 'array',
      description: 'With CONFLICT on removing a provider: the live tenants placed there.',
      items: { type: 'string', format: 'uuid' },
    },
    revealedAt: {
      ...TIMESTAMP,
      description: 'With GONE on revealing admin credentials: when they were revealed.',
    },
    refusals: {
      type: 'array',
      description:
        'With CONFLICT on creating a tenant (no room): why each provider or location could not take it.',
      items: { type: 'string' },
    },
    operation: {
      type: 'object',
      description: 'With CONFLICT on changing a tenant: the operation that runs on it.',
      required: ['id', 'kind', 'href'],
      properties: {
        id: { type: 'string' },
        kind: { type: 'string', enum: [...OPERATION_KINDS] },
        href: { type: 'string' },
      },
    },
  },
};

const QuotaExcess: SchemaObject = {
  type: 'object',
  required: ['quota', 'limit', 'used', 'requested', 'exceededBy'],
  properties: {
    quota: { type: 'string', enum: [...QUOTA_NAMES] },
    limit: { type: 'integer' },
    used: { type: 'integer' },
    requested: { type: 'integer' },
    exceededBy: { type: 'integer' },
  },
};

const FieldError: SchemaObject = {
  type: 'object',
  required: ['field', 'message'],
  properties: {
    field: {
      type: 'string',
      description: 'Path of the bad field, e.g. `apps[0].options.subdomain`, or a header name.',
      example: 'apps[0].options.subdomain',
    },
    message: { type: 'string', example: 'must be a DNS label (lower-case letters, digits, inner hyphens)' },
  },
};

const CreateTenantRequest: SchemaObject = {
  type: 'object',
  description:
    'Desired state of a new tenant. Every problem is reported at once in a 400 problem (`errors`).',
  required: ['domain', 'apps'],
  additionalProperties: false,
  properties: {
    org: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
      description:
        'Organisation owning the tenant. Required for ops staff; operators may omit it (their own ' +
        'organisation) and may not name another.',
      example: 'acme',
    },
    domain: {
      type: 'string',
      description: 'Domain the apps answer under (normalised to lower case); unique among live tenants.',
      example: 'acme.example',
    },
    apps: {
      type: 'array',
      minItems: 1,
      description:
        'Apps to run, each at most once, with subdomains that do not collide (within an app, such as ' +
        "Matrix's homeserver, Element and TURN, and across apps).",
      items: APP_SELECTION,
    },
    plan: {
      type: 'string',
      pattern: PLAN_PATTERN.source,
      default: DEFAULT_PLAN,
      description:
        'The machine size, by the name providers register plans under (`small`, `medium`, ...). A plan no ' +
        'provider offers is a 400 listing the valid ones.',
      example: 'small',
    },
    placement: {
      type: 'object',
      additionalProperties: false,
      description:
        'Where the machine should go; placement chooses among the providers and locations that fit, from ' +
        'their capacity and quotas, and records why (`placement.reason` of the tenant). An unknown provider or ' +
        'location is a 400 listing the valid ones; no room anywhere a 409 (`refusals` says why, per place), ' +
        'before anything is stored.',
      properties: {
        provider: {
          type: 'string',
          pattern: PROVIDER_NAME_PATTERN,
          description: 'The name of a registered provider.',
          example: 'pve-fra1',
        },
        location: {
          type: 'string',
          pattern: LOCATION_PATTERN.source,
          description: 'A region, location or Proxmox node (of `provider`, or of any provider).',
          example: 'fsn1',
        },
      },
    },
    provider: {
      type: 'string',
      enum: [...RESOURCE_PROVIDER_KINDS],
      deprecated: true,
      description:
        'Kept for compatibility: a provider kind. `sandbox` alone means no preference (as it did when it was ' +
        'the only kind); another kind needs `placement.provider` naming a provider of that kind. With ' +
        '`placement.provider`, that provider must be of this kind.',
    },
  },
};

const TenantPlacement: SchemaObject = {
  type: 'object',
  description: "Where the tenant's machine was placed, when the tenant was created, and why.",
  required: ['machineId', 'provider', 'location', 'plan', 'reason'],
  properties: {
    machineId: { type: 'string', format: 'uuid', description: "The machine's id (GET /v1/machines)." },
    provider: { type: 'string', description: "The provider's name.", example: 'sandbox' },
    location: { type: 'string', description: 'Region, location or node.', example: 'local' },
    plan: { type: 'string', example: 'small' },
    reason: {
      type: 'string',
      description: 'Why this provider and location: the preference, capacity and quotas placement weighed.',
    },
  },
};

const TenantView: SchemaObject = {
  type: 'object',
  required: [
    'id',
    'org',
    'domain',
    'status',
    'provider',
    'apps',
    'operation',
    'backups',
    'createdAt',
    'updatedAt',
    'links',
  ],
  properties: {
    id: { type: 'string', format: 'uuid' },
    org: { type: 'string', example: 'acme' },
    domain: { type: 'string', example: 'acme.example' },
    status: { type: 'string', enum: [...TENANT_STATUSES] },
    provider: {
      type: 'string',
      enum: [...RESOURCE_PROVIDER_KINDS],
      description: "The kind of the provider the tenant's machine is on.",
    },
    placement: {
      ...schemaRef('TenantPlacement'),
      description: 'Absent for tenants created before placement existed.',
    },
    apps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['app', 'options', 'url'],
        properties: {
          app: { type: 'string', example: 'mastodon' },
          options: {
            ...APP_OPTIONS,
            description: 'The option values as requested (defaults are not filled in).',
          },
          url: {
            type: 'string',
            description: 'Where the app answers.',
            example: 'https://social.acme.example/',
          },
        },
      },
    },
    operation: {
      type: 'object',
      description: "The tenant's latest operation, whose outcome sets `status`.",
      required: ['id', 'href'],
      properties: {
        id: { type: 'string', example: '5f0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f' },
        href: {
          type: 'string',
          example: '/v1/operations/5f0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f',
        },
      },
    },
    error: {
      type: 'string',
      description:
        'Why the latest operation did not succeed, in words for the operator (status `failed`, or `ready` ' +
        'after an update that was undone).',
    },
    drift: {
      type: 'object',
      description:
        'The drift check found that the machine runs something else than fedops activated last; ' +
        '`POST /v1/tenants/{id}/reconcile` puts the desired state back. Absent when in sync.',
      required: ['detectedAt', 'expected', 'found', 'message'],
      properties: {
        detectedAt: TIMESTAMP,
        expected: {
          type: 'object',
          required: ['generation', 'configHash'],
          properties: { generation: { type: 'integer' }, configHash: { type: 'string' } },
        },
        found: {
          type: 'object',
          description:
            'What the machine runs: no generation, or one whose configuration fedops did not write.',
          properties: { generation: { type: 'integer' }, configHash: { type: 'string' } },
        },
        message: { type: 'string' },
      },
    },
    backups: {
      type: 'object',
      description: 'Its backup policy, and when its last backup succeeded (and when one last failed).',
      required: ['policy', 'links'],
      properties: {
        policy: schemaRef('BackupPolicy'),
        lastSucceededAt: TIMESTAMP,
        lastFailedAt: TIMESTAMP,
        links: {
          type: 'object',
          required: ['snapshots', 'policy'],
          properties: { snapshots: { type: 'string' }, policy: { type: 'string' } },
        },
      },
    },
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
    links: {
      type: 'object',
      required: ['self', 'events'],
      properties: {
        self: { type: 'string', example: '/v1/tenants/0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e' },
        events: { type: 'string', example: '/v1/tenants/0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e/events' },
      },
    },
  },
};

/** A page of a list: the items and, unless this is the last page, the cursor of the next. */
function pageOf(item: SchemaName, description: string): SchemaObject {
  return {
    type: 'object',
    description,
    required: ['items'],
    properties: {
      items: { type: 'array', items: schemaRef(item) },
      nextCursor: {
        type: 'string',
        description: 'Pass as `cursor` for the next page; absent on the last page.',
      },
    },
  };
}

const TenantList = pageOf('TenantView', 'A page of tenants, oldest first.');

const AdminCredentials: SchemaObject = {
  type: 'object',
  description:
    "The first admin account of a tenant's app, with its generated password: shown once, never stored by the API.",
  required: ['app', 'username', 'password', 'loginUrl'],
  additionalProperties: false,
  properties: {
    app: { type: 'string', example: 'forgejo' },
    username: {
      type: 'string',
      description:
        "The account's name: the app's username option (default `owner`), or the name the app imposes.",
      example: 'owner',
    },
    email: {
      type: 'string',
      description:
        "For apps whose admin has an e-mail address: the app's e-mail option, or `owner@` the tenant domain.",
      example: 'owner@acme.example',
    },
    password: {
      type: 'string',
      minLength: 1,
      description: 'Generated by fedops on the first deploy; store it or change it in the app.',
    },
    loginUrl: {
      type: 'string',
      description: 'Where the app answers (its first endpoint), to sign in at.',
      example: 'https://git.acme.example/',
    },
  },
};

const OperationStep: SchemaObject = {
  type: 'object',
  required: ['name', 'status'],
  properties: {
    name: { type: 'string', example: 'provision' },
    status: { type: 'string', enum: [...OPERATION_STEP_STATUSES] },
    startedAt: TIMESTAMP,
    finishedAt: TIMESTAMP,
    error: { type: 'string', description: 'The raw failure of the step (ops staff only).' },
  },
};

const OperationView: SchemaObject = {
  type: 'object',
  description:
    'One change to a tenant (deploy, destroy, ...), carried out by a workflow. Kept after the workflow ' +
    'is gone; `steps` follow the workflow as it runs.',
  required: ['id', 'kind', 'tenantId', 'org', 'status', 'requestedBy', 'steps', 'createdAt', 'links'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9-]{1,80}$', example: '5f0c2a9e-7d1b-4c3a-8e6f-1a2b3c4d5e6f' },
    kind: { type: 'string', enum: [...OPERATION_KINDS] },
    tenantId: { type: 'string', format: 'uuid' },
    org: { type: 'string', example: 'acme' },
    status: {
      type: 'string',
      enum: [...OPERATION_STATUSES],
      description:
        '`pending`: stored, its workflow not started yet; `cancelling`: its workflow undoes what it did.',
    },
    requestedBy: { type: 'string', description: 'Subject of the token that asked for it.' },
    steps: { type: 'array', items: schemaRef('OperationStep') },
    failedStep: { type: 'string', description: 'The step that failed.' },
    error: { type: 'string', description: 'Why it did not succeed, in words for the operator.' },
    errorDetail: { type: 'string', description: 'The raw failure (ops staff only).' },
    retryOf: { type: 'string', description: 'The operation this one retries.' },
    change: {
      type: 'object',
      description: 'What an update changes, by app id.',
      required: ['added', 'removed', 'changed'],
      properties: { added: STRINGS, removed: STRINGS, changed: STRINGS },
    },
    backup: {
      type: 'object',
      description: 'What a backup takes: the apps, and why.',
      required: ['apps', 'reason'],
      properties: { apps: STRINGS, reason: { type: 'string', enum: [...SNAPSHOT_REASONS] } },
    },
    restore: {
      type: 'object',
      description: 'What a restore restores, and how.',
      required: ['snapshotIds', 'strategy'],
      properties: { snapshotIds: STRINGS, strategy: { type: 'string', enum: [...RESTORE_STRATEGIES] } },
    },
    createdAt: TIMESTAMP,
    startedAt: TIMESTAMP,
    finishedAt: TIMESTAMP,
    links: {
      type: 'object',
      required: ['self', 'tenant'],
      properties: {
        self: { type: 'string' },
        tenant: { type: 'string' },
        cancel: { type: 'string', description: 'POST here to cancel (while it can be cancelled).' },
        retry: { type: 'string', description: 'POST here to retry (failed or cancelled).' },
      },
    },
  },
};

const OperationList = pageOf('OperationView', 'A page of operations, newest first.');

const SNAPSHOT_ID = {
  type: 'string' as const,
  pattern: '^[0-9a-f]{64}$',
  description: "restic's snapshot id.",
};

const AppSnapshot: SchemaObject = {
  type: 'object',
  description:
    "One app's snapshot in the tenant's restic repository: its data paths and a dump of each of its " +
    'databases, taken on the machine. `protected` snapshots (taken before a restore, an upgrade or a ' +
    'removal) are never forgotten by retention.',
  required: [
    'id',
    'tenantId',
    'app',
    'reason',
    'operationId',
    'takenAt',
    'paths',
    'databases',
    'totalBytes',
    'addedBytes',
    'files',
    'protected',
  ],
  additionalProperties: false,
  properties: {
    id: SNAPSHOT_ID,
    tenantId: { type: 'string', format: 'uuid' },
    app: { type: 'string', example: 'forgejo' },
    reason: { type: 'string', enum: [...SNAPSHOT_REASONS] },
    operationId: { type: 'string', description: 'The operation that took it.' },
    takenAt: TIMESTAMP,
    paths: { ...STRINGS, description: "The app's data paths on the machine, e.g. `/var/lib/forgejo`." },
    databases: { ...STRINGS, description: "The app's databases, dumped into the snapshot." },
    totalBytes: { type: 'integer', minimum: 0, description: 'Bytes of the files the snapshot holds.' },
    addedBytes: {
      type: 'integer',
      minimum: 0,
      description: 'Bytes it added to the repository (deduplicated).',
    },
    files: { type: 'integer', minimum: 0 },
    protected: { type: 'boolean' },
  },
};

const SnapshotList = pageOf('AppSnapshot', 'A page of snapshots, newest first.');

const RETENTION_COUNT = { type: 'integer' as const, minimum: 1, maximum: 1000 };

const BackupPolicy: SchemaObject = {
  type: 'object',
  description:
    "How a tenant is backed up on its own. Retention keeps, per app, what restic's keep rules keep (at least " +
    'one must be set); protected snapshots are kept whatever the rules.',
  required: ['intervalHours', 'retention', 'checkIntervalDays', 'checkReadDataPercent'],
  additionalProperties: false,
  properties: {
    intervalHours: {
      type: 'integer',
      minimum: 0,
      maximum: 168,
      description: 'Hours between scheduled backups of every app; 0: manual backups only.',
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: Object.fromEntries(RETENTION_KEYS.map((key) => [key, RETENTION_COUNT])),
    },
    checkIntervalDays: {
      type: 'integer',
      minimum: 1,
      maximum: 90,
      description: 'Days between repository checks (`restic check`).',
    },
    checkReadDataPercent: {
      type: 'integer',
      minimum: 1,
      maximum: 100,
      description: 'How much of the data a check reads back and verifies, in percent.',
    },
  },
  example: DEFAULT_BACKUP_POLICY,
};

const BackupRequest: SchemaObject = {
  type: 'object',
  description:
    'A backup now. Without `apps`, every app of the tenant (apps holding no data get no snapshot).',
  additionalProperties: false,
  properties: {
    apps: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,39}$' },
      description: 'App ids of the tenant.',
    },
  },
};

const RestoreRequest: SchemaObject = {
  type: 'object',
  description: 'A restore of snapshots of the tenant (at most one per app), by the strategy chosen.',
  required: ['snapshotIds', 'strategy'],
  additionalProperties: false,
  properties: {
    snapshotIds: { type: 'array', minItems: 1, maxItems: 20, items: SNAPSHOT_ID },
    strategy: {
      type: 'string',
      enum: [...RESTORE_STRATEGIES],
      description:
        '`safe`: into a new location, verified, then swapped (room for a second copy needed); `in-place`: a ' +
        '`pre-restore` snapshot first, then restored where the data is.',
    },
  },
};

const UpdateTenantRequest: SchemaObject = {
  type: 'object',
  description:
    "A change to a tenant's apps. Every problem is reported at once in a 400 problem (`errors`), each named " +
    'by its field; adding an app the tenant has is a 409.',
  required: ['apps'],
  additionalProperties: false,
  properties: {
    apps: {
      type: 'object',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        add: { type: 'array', description: 'Apps to add, as in CreateTenantRequest.', items: APP_SELECTION },
        remove: { ...STRINGS, description: 'Ids of apps to remove.' },
        change: {
          type: 'array',
          description:
            "Options to change: merged into the app's current options; `null` puts an option back to its default.",
          items: {
            type: 'object',
            required: ['app', 'options'],
            additionalProperties: false,
            properties: {
              app: { type: 'string' },
              options: {
                type: 'object',
                additionalProperties: { oneOf: [...(OPTION_VALUE.oneOf ?? []), { type: 'null' }] },
              },
            },
          },
        },
      },
    },
    confirmRemoval: {
      ...STRINGS,
      description:
        'Ids of removed apps that hold data (files or a database): removing one without naming it here is a 400.',
    },
  },
  example: { apps: { add: [{ app: 'matrix' }], remove: ['forgejo'] }, confirmRemoval: ['forgejo'] },
};

const TenantChangePreview: SchemaObject = {
  type: 'object',
  description: 'What a change would do (PATCH with `dryRun=true`); nothing was stored or started.',
  required: ['dryRun', 'operation', 'apps', 'configuration', 'dns'],
  properties: {
    dryRun: { type: 'boolean', enum: [true] },
    operation: {
      type: 'object',
      required: ['kind'],
      properties: {
        kind: {
          type: 'string',
          enum: ['update', 'deploy'],
          description: '`update` for a running tenant; `deploy` for one whose deploy failed and was undone.',
        },
      },
    },
    apps: {
      type: 'object',
      required: ['added', 'removed', 'changed'],
      properties: { added: STRINGS, removed: STRINGS, changed: STRINGS },
    },
    configuration: {
      type: 'object',
      required: ['files'],
      properties: {
        files: {
          type: 'array',
          description: 'The files of the rendered NixOS configuration that would differ, sorted by path.',
          items: {
            type: 'object',
            required: ['path', 'change', 'diff'],
            properties: {
              path: { type: 'string', example: 'apps/matrix.nix' },
              change: { type: 'string', enum: ['added', 'removed', 'changed'] },
              diff: { type: 'string', description: 'A unified diff of the file.' },
            },
          },
        },
      },
    },
    dns: {
      type: 'object',
      description: "Names whose records would be added or removed; each points at the tenant's machine.",
      required: ['added', 'removed'],
      properties: { added: STRINGS, removed: STRINGS },
    },
  },
};

const AuditEntry: SchemaObject = {
  type: 'object',
  description: 'One line of the audit log: a change asked of the API, or something the platform did.',
  required: ['id', 'at', 'actor', 'action', 'result', 'detail'],
  properties: {
    id: { type: 'string', pattern: '^[0-9]+$' },
    at: TIMESTAMP,
    org: { type: 'string', description: 'The organisation the line concerns.' },
    tenantId: { type: 'string', format: 'uuid' },
    actor: {
      type: 'string',
      description: "Who: the token's subject, or `system:<service>` for what a workflow did.",
    },
    action: {
      type: 'string',
      description: 'What: `POST /v1/tenants`-style for changes asked of the API, the event kind otherwise.',
      example: 'DELETE /v1/tenants/{id}',
    },
    target: { type: 'string', description: 'The tenant, operation, machine ... it concerns.' },
    result: { type: 'string', description: "The answer's HTTP status, or the outcome.", example: '202' },
    sourceIp: { type: 'string', description: "The caller's address (operators do not see ops staff's)." },
    detail: { type: 'object', additionalProperties: true },
  },
};

const StreamTicket: SchemaObject = {
  type: 'object',
  description: "Opens one tenant's event stream without an Authorization header, until it expires.",
  required: ['ticket', 'expiresAt', 'url'],
  properties: {
    ticket: { type: 'string', pattern: '^fst_[A-Za-z0-9_-]{43}$' },
    expiresAt: TIMESTAMP,
    url: {
      type: 'string',
      description: 'The stream with the ticket: `new EventSource(url)`.',
      example: '/v1/tenants/0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e/events?ticket=fst_…',
    },
  },
};

const AuditList = pageOf('AuditEntry', 'A page of the audit log, newest first.');

const OPTION_COMMON: Record<string, SchemaObject> = {
  description: { type: 'string' },
  weight: {
    type: 'integer',
    description: 'Order in forms and tables: lower first (`options` is in this order).',
  },
  required: { type: 'boolean', description: 'Has no default: POST /v1/tenants must give it.' },
};

/** Each option type of the catalog, with the fields its specs have (a Record: a new type fails the build here). */
const OPTION_TYPES: Record<OptionType, { description: string; properties: Record<string, SchemaObject> }> = {
  subdomain: {
    description: 'A DNS label under the tenant domain that one of the app’s endpoints answers on.',
    properties: { default: { type: 'string', example: 'social' } },
  },
  enable: {
    description: 'Turns an optional part of the app on or off (Element web beside a Matrix homeserver).',
    properties: { default: { type: 'boolean' } },
  },
  string: {
    description: 'Text, checked against `pattern`, `maxLength` and `notIn`; control characters are refused.',
    properties: {
      default: { type: 'string' },
      pattern: { type: 'string', description: 'ECMAScript regular expression the value must match.' },
      patternHint: { type: 'string', description: 'The pattern in words.' },
      maxLength: { type: 'integer', description: 'Longest value, in characters (code points).' },
      notIn: {
        type: 'array',
        items: { type: 'string' },
        description: 'Values the pattern allows but the app refuses (Mastodon’s reserved usernames).',
      },
    },
  },
  boolean: { description: 'true or false.', properties: { default: { type: 'boolean' } } },
  integer: {
    description: 'A whole number between `min` and `max`.',
    properties: {
      default: { type: 'integer' },
      min: { type: 'integer', description: 'Smallest value.' },
      max: { type: 'integer', description: 'Largest value.' },
    },
  },
  enum: {
    description: 'One of `values`.',
    properties: {
      default: { type: 'string' },
      values: { type: 'array', items: { type: 'string' }, description: 'The allowed values.' },
    },
  },
};

/** Fields a type's specs always have besides the common ones. */
const OPTION_TYPE_REQUIRED: Partial<Record<OptionType, string[]>> = {
  subdomain: ['default'],
  enable: ['default'],
  enum: ['values'],
};

const OptionSpec: SchemaObject = {
  description:
    'A typed option of a catalog app, as accepted in `apps[].options` of POST /v1/tenants; `default` is used ' +
    'when the option is not given. Types: ' +
    Object.entries(OPTION_TYPES)
      .map(([type, t]) => `\`${type}\` (${t.description})`)
      .join('; ') +
    '.',
  oneOf: Object.entries(OPTION_TYPES).map(([type, t]): SchemaObject => ({
    type: 'object',
    required: ['type', 'description', 'weight', ...(OPTION_TYPE_REQUIRED[type as OptionType] ?? [])],
    additionalProperties: false,
    properties: { type: constant(type), ...OPTION_COMMON, ...t.properties },
  })),
};

/** What each support level promises (a Record: a new level fails the build here). */
const SUPPORT_LEVELS: Record<SupportLevel, string> = {
  supported: 'tested end to end here and kept working',
  beta: 'deploys, with fewer guarantees',
  experimental: 'for trying out, without guarantees',
};

const ENABLED_BY: SchemaObject = {
  type: 'string',
  description: 'The `enable` option that switches it on; absent: always on.',
};

/** Each endpoint kind, as the catalog view shows it (without the app's loopback port). */
const ENDPOINT_KINDS: Record<AppEndpoint['kind'], SchemaObject> = {
  http: {
    type: 'object',
    description:
      'A subdomain with an nginx virtual host (ACME certificate, HTTPS only) in front of the app’s HTTP listener.',
    required: ['kind', 'id', 'subdomainOption', 'healthPath', 'maxBodySize'],
    additionalProperties: false,
    properties: {
      kind: constant('http'),
      id: { type: 'string', description: 'Names the endpoint within the app.', example: 'web' },
      subdomainOption: { type: 'string', description: 'The `subdomain` option with its DNS label.' },
      healthPath: { type: 'string', description: 'Answers 200 when healthy, checked over HTTPS.' },
      maxBodySize: {
        type: 'string',
        description: 'The largest request body (upload) accepted, nginx units.',
        example: '100m',
      },
      enabledBy: ENABLED_BY,
    },
  },
  host: {
    type: 'object',
    description: 'A subdomain that only needs a DNS name and a certificate (a TURN server’s TLS).',
    required: ['kind', 'id', 'subdomainOption', 'purpose'],
    additionalProperties: false,
    properties: {
      kind: constant('host'),
      id: { type: 'string', example: 'turn' },
      subdomainOption: { type: 'string', description: 'The `subdomain` option with its DNS label.' },
      purpose: { type: 'string' },
      enabledBy: ENABLED_BY,
    },
  },
  'apex-path': {
    type: 'object',
    description: 'A path served on the tenant’s own domain (`/.well-known/matrix/server`).',
    required: ['kind', 'id', 'path', 'purpose'],
    additionalProperties: false,
    properties: {
      kind: constant('apex-path'),
      id: { type: 'string', example: 'well-known-server' },
      path: { type: 'string', example: '/.well-known/matrix/server' },
      purpose: { type: 'string' },
      enabledBy: ENABLED_BY,
    },
  },
};

const CatalogApp: SchemaObject = {
  type: 'object',
  description:
    'An app of the catalog: what it is, the options an operator may set, and what the platform provides ' +
    'for it on the tenant’s machine. Generated secrets are named, never shown.',
  required: [
    'id',
    'name',
    'description',
    'homepage',
    'iconUrl',
    'license',
    'supportLevel',
    'package',
    'options',
    'optionsSchema',
    'endpoints',
    'ports',
    'secrets',
    'databases',
    'dataPaths',
    'backupHooks',
    'movable',
    'resources',
  ],
  additionalProperties: false,
  properties: {
    id: { type: 'string', example: 'mastodon' },
    name: { type: 'string', example: 'Mastodon' },
    description: { type: 'string' },
    homepage: { type: 'string', format: 'uri', example: 'https://joinmastodon.org' },
    iconUrl: {
      type: 'string',
      format: 'uri',
      description: 'The project’s logo on its own website (fedops neither fetches nor checks it).',
    },
    license: { type: 'string', description: 'SPDX expression.', example: 'AGPL-3.0-or-later' },
    supportLevel: {
      type: 'string',
      enum: Object.keys(SUPPORT_LEVELS),
      description: Object.entries(SUPPORT_LEVELS)
        .map(([level, words]) => `\`${level}\`: ${words}`)
        .join('; '),
    },
    package: {
      type: 'string',
      description: 'The nixpkgs attribute of the app’s package (its pinned release).',
      example: 'mastodon',
    },
    options: {
      type: 'object',
      description: "The app's options by name, `subdomain` included, lowest `weight` first.",
      additionalProperties: schemaRef('OptionSpec'),
    },
    optionsSchema: {
      type: 'object',
      additionalProperties: true,
      description:
        'JSON Schema (2020-12) of `apps[].options` for this app, from the same specs POST /v1/tenants ' +
        'validates with (components AppOptions_<app> of this document). fedops’ own option type and weight ' +
        'are the `x-fedops-type` and `x-fedops-weight` keywords.',
    },
    endpoints: {
      type: 'array',
      description: 'Where the app answers; the first is its URL in tenant views.',
      items: { oneOf: Object.values(ENDPOINT_KINDS) },
    },
    ports: {
      type: 'array',
      description: 'Ports the machine’s firewall opens for the app, besides 80 and 443.',
      items: {
        type: 'object',
        required: ['protocol', 'port', 'purpose'],
        additionalProperties: false,
        properties: {
          protocol: { type: 'string', enum: ['tcp', 'udp'] },
          port: { type: 'integer', minimum: 1, maximum: 65535 },
          to: {
            type: 'integer',
            minimum: 1,
            maximum: 65535,
            description: 'Last port of a range (inclusive).',
          },
          purpose: { type: 'string' },
          enabledBy: ENABLED_BY,
        },
      },
    },
    secrets: {
      type: 'array',
      description:
        'Secrets fedops generates once per tenant and delivers to the machine as files (never as options, ' +
        'never through the Nix store): their names only.',
      items: {
        type: 'object',
        required: ['name', 'description'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', example: 'secret-key-base' },
          description: { type: 'string' },
          enabledBy: ENABLED_BY,
        },
      },
    },
    databases: {
      ...STRINGS,
      description: 'PostgreSQL databases on the machine (each owned by a role of its name).',
    },
    dataPaths: { ...STRINGS, description: 'Folders with the app’s state, backed up and moved with it.' },
    backupHooks: {
      type: 'object',
      description: 'Commands run on the machine before and after a backup.',
      required: ['before', 'after'],
      additionalProperties: false,
      properties: { before: STRINGS, after: STRINGS },
    },
    movable: { type: 'boolean', description: 'Whether its state can move to another machine (a migration).' },
    admin: {
      type: 'object',
      description:
        'The first admin account, created on the first deploy; its password is generated (a secret). Absent: ' +
        'the app has no accounts.',
      required: ['username'],
      additionalProperties: false,
      properties: {
        username: {
          oneOf: [
            {
              type: 'object',
              required: ['option'],
              additionalProperties: false,
              properties: { option: { type: 'string', description: 'The option naming the account.' } },
            },
            {
              type: 'object',
              required: ['fixed'],
              additionalProperties: false,
              properties: {
                fixed: { type: 'string', description: 'The name the app imposes.', example: 'root' },
              },
            },
          ],
        },
        emailOption: { type: 'string', description: 'The option with the account’s e-mail address.' },
      },
    },
    resources: {
      type: 'object',
      description: 'What the app needs at least, on top of the machine’s base.',
      required: ['vcpu', 'memoryMiB', 'diskGiB'],
      additionalProperties: false,
      properties: {
        vcpu: { type: 'integer', minimum: 0 },
        memoryMiB: { type: 'integer', minimum: 0 },
        diskGiB: { type: 'integer', minimum: 0 },
      },
    },
  },
};

const CatalogAppList: SchemaObject = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: schemaRef('CatalogApp') } },
};

const MachineRef: SchemaObject = {
  type: 'object',
  description: 'A machine of the fleet, as the provisioner knows it.',
  required: [
    'machineId',
    'tenantId',
    'provider',
    'providerId',
    'location',
    'address',
    'sshPort',
    'sshUser',
    'sshHostKey',
    'fsRoot',
    'activation',
  ],
  properties: {
    machineId: { type: 'string' },
    tenantId: { type: 'string', format: 'uuid' },
    provider: { type: 'string', enum: [...RESOURCE_PROVIDER_KINDS], description: "Its provider's kind." },
    providerId: {
      type: 'string',
      description: 'The registered provider holding it (GET /v1/providers/{provider}).',
    },
    location: { type: 'string', description: 'Region, location or node.', example: 'local' },
    address: { type: 'string', description: 'IP address or host name.', example: '10.213.0.2' },
    sshPort: { type: 'integer', example: 22 },
    sshUser: { type: 'string', example: 'root' },
    sshHostKey: {
      type: 'string',
      description: "The host's public key line.",
      example: 'ssh-ed25519 AAAA...',
    },
    fsRoot: { type: 'string', description: "`/` on a VM, the machine's root folder on a sandbox host." },
    activation: { type: 'string', enum: ['nixos-rebuild', 'sandbox-standin'] },
  },
};

const MachineList: SchemaObject = {
  type: 'object',
  required: ['items', 'reconciliation'],
  properties: {
    items: { type: 'array', items: { $ref: '#/components/schemas/MachineRef' } },
    reconciliation: {
      description:
        "The machine reconciler's last run, with its findings as they stand now; null before the first.",
      oneOf: [schemaRef('ReconcileReport'), { type: 'null' }],
    },
  },
};

const UUID_OR_NULL: SchemaObject = { oneOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] };

const MachineFinding: SchemaObject = {
  type: 'object',
  description:
    "A difference between the inventory and a provider: an `orphan` carries this platform's label but no " +
    'inventory row knows it (a create whose record was lost, a machine made by hand); a `missing` machine ' +
    'is in the inventory but gone at its provider. Announced once as the event `machine.orphaned` or ' +
    '`machine.missing`.',
  required: [
    'kind',
    'providerId',
    'providerName',
    'externalId',
    'name',
    'machineId',
    'tenantId',
    'firstSeenAt',
    'lastSeenAt',
  ],
  properties: {
    kind: { type: 'string', enum: ['orphan', 'missing'] },
    providerId: { type: 'string', format: 'uuid' },
    providerName: { type: 'string', example: 'hetzner-main' },
    externalId: {
      type: 'string',
      description: "The provider's id of the machine (VMID, server or droplet id, sandbox namespace).",
      example: '4711',
    },
    name: { type: 'string', example: 'fedops-7d0c2a9e' },
    machineId: {
      ...UUID_OR_NULL,
      description: 'The inventory id (missing) or the `fedops-machine` label it carries (orphan), if any.',
    },
    tenantId: { ...UUID_OR_NULL, description: 'The tenant it serves (orphan: its `fedops-tenant` label).' },
    firstSeenAt: TIMESTAMP,
    lastSeenAt: TIMESTAMP,
  },
};

const ReconcileReport: SchemaObject = {
  type: 'object',
  description: 'One run of the machine reconciler.',
  required: ['checkedAt', 'providers', 'findings'],
  properties: {
    checkedAt: { ...TIMESTAMP, description: 'When the run began.' },
    providers: {
      type: 'array',
      description:
        'Each registered provider: whether it could be asked (one that could not keeps its earlier findings).',
      items: {
        type: 'object',
        required: ['providerId', 'name', 'ok', 'machines'],
        properties: {
          providerId: { type: 'string', format: 'uuid' },
          name: { type: 'string' },
          ok: { type: 'boolean' },
          error: { type: 'string', description: 'Why the provider could not be asked.' },
          machines: {
            type: 'integer',
            minimum: 0,
            description: "Machines carrying this platform's label found there.",
          },
        },
      },
    },
    findings: { type: 'array', items: schemaRef('MachineFinding') },
  },
};

const MachineCleanupRequest: SchemaObject = {
  type: 'object',
  required: ['dryRun'],
  additionalProperties: false,
  properties: {
    dryRun: {
      type: 'boolean',
      description: 'true: list the orphans that would be deleted and delete nothing; false: delete them.',
    },
  },
};

const MachineCleanupResult: SchemaObject = {
  type: 'object',
  required: ['dryRun', 'orphans', 'skipped'],
  properties: {
    dryRun: { type: 'boolean' },
    orphans: {
      type: 'array',
      description:
        'The orphans deleted (on a dry run: to be deleted), each confirmed at its provider just now.',
      items: schemaRef('MachineFinding'),
    },
    skipped: {
      type: 'array',
      description:
        'Orphans found earlier that are gone, lost the platform label or were adopted: left alone.',
      items: {
        type: 'object',
        required: ['externalId', 'providerName', 'why'],
        properties: {
          externalId: { type: 'string' },
          providerName: { type: 'string' },
          why: { type: 'string', example: 'gone at the provider' },
        },
      },
    },
  },
};

const DomainEvent: SchemaObject = {
  type: 'object',
  description:
    "Payload (`data:` line) of a server-sent event. The `id:` line carries the event's stream sequence " +
    '(send it back as Last-Event-ID to resume), the `event:` line its `kind`.',
  required: ['id', 'tenantId', 'kind', 'source', 'at', 'data'],
  properties: {
    id: { type: 'string', description: 'Unique per logical event.' },
    tenantId: { type: 'string', format: 'uuid' },
    kind: { type: 'string', enum: [...EVENT_KINDS] },
    source: { type: 'string', description: 'Service that published the event.', example: 'provisioner' },
    at: TIMESTAMP,
    data: { type: 'object', additionalProperties: true, description: 'Kind-specific details.' },
  },
};

const QUOTA_LIST = QUOTA_NAMES.map((q) => `\`${q}\` (${QUOTA_DESCRIPTIONS[q]})`).join(', ');

function quotaLimits(nullable: boolean, description: string): SchemaObject {
  const limit: SchemaObject = { type: 'integer', minimum: 0, maximum: MAX_QUOTA };
  return {
    type: 'object',
    description,
    additionalProperties: false,
    properties: Object.fromEntries(
      QUOTA_NAMES.map((q) => [
        q,
        // OpenAPI 3.1 (JSON Schema 2020-12): null is a type of its own, not `nullable`.
        nullable
          ? { oneOf: [limit, { type: 'null' }], description: QUOTA_DESCRIPTIONS[q] }
          : { ...limit, description: QUOTA_DESCRIPTIONS[q] },
      ]),
    ),
  };
}

const Quotas = quotaLimits(
  false,
  `An organisation's limits, checked before a tenant is stored; a limit that is absent is unlimited. ` +
    `Resource needs per app are what the catalog declares (GET /v1/apps, resources). Limits: ${QUOTA_LIST}.`,
);

const QuotaUsage: SchemaObject = {
  type: 'object',
  description: "What the organisation's live tenants use of each quota.",
  required: [...QUOTA_NAMES],
  properties: Object.fromEntries(
    QUOTA_NAMES.map((q) => [q, { type: 'integer', description: QUOTA_DESCRIPTIONS[q] }]),
  ),
};

const ORG_ID_SCHEMA: SchemaObject = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
  example: 'acme',
};

const CreateOrganisationRequest: SchemaObject = {
  type: 'object',
  required: ['id', 'name'],
  additionalProperties: false,
  properties: {
    id: { ...ORG_ID_SCHEMA, description: 'The id tenants, tokens and the `org` claim name it by.' },
    name: { type: 'string', maxLength: 200, example: 'Acme Corporation' },
    quotas: schemaRef('Quotas'),
  },
};

const UpdateOrganisationRequest: SchemaObject = {
  type: 'object',
  description: 'A JSON merge patch (RFC 7396): only the fields given change.',
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 200 },
    quotas: quotaLimits(true, 'Limits to set; `null` removes a limit (unlimited).'),
  },
};

const OrganisationView: SchemaObject = {
  type: 'object',
  required: ['id', 'name', 'quotas', 'createdAt', 'updatedAt', 'links'],
  properties: {
    id: ORG_ID_SCHEMA,
    name: { type: 'string', example: 'Acme Corporation' },
    quotas: schemaRef('Quotas'),
    usage: schemaRef('QuotaUsage'),
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
    links: {
      type: 'object',
      required: ['self', 'members'],
      properties: { self: { type: 'string' }, members: { type: 'string' } },
    },
  },
};

const OrganisationList = pageOf('OrganisationView', 'A page of organisations, oldest first.');

const AddMemberRequest: SchemaObject = {
  type: 'object',
  required: ['subject'],
  additionalProperties: false,
  properties: {
    subject: {
      type: 'string',
      pattern: '^[\\x21-\\x7e]{1,255}$',
      description: "The member's subject (`sub` of their access tokens) at the identity provider.",
      example: 'carol@acme.example',
    },
    issuer: {
      type: 'string',
      format: 'uri',
      description: 'The issuer of the subject; default: the identity provider the API trusts.',
    },
  },
};

const MemberView: SchemaObject = {
  type: 'object',
  description: 'An operator of the organisation.',
  required: ['org', 'subject', 'issuer', 'role', 'addedBy', 'createdAt', 'links'],
  properties: {
    org: ORG_ID_SCHEMA,
    subject: { type: 'string', example: 'carol@acme.example' },
    issuer: { type: 'string', example: 'https://id.example.net' },
    role: { type: 'string', enum: ['operator'] },
    addedBy: { type: 'string', description: 'Subject of the ops staff member who added them.' },
    createdAt: TIMESTAMP,
    links: {
      type: 'object',
      required: ['self', 'organisation'],
      properties: { self: { type: 'string' }, organisation: { type: 'string' } },
    },
  },
};

const MemberList = pageOf('MemberView', 'A page of members, oldest first.');

const SCOPE_SCHEMA: SchemaObject = {
  type: 'string',
  enum: [...SCOPES],
  description: SCOPES.map((s) => `\`${s}\`: ${SCOPE_DESCRIPTIONS[s]}`).join('; ') + '.',
};

const CreateApiTokenRequest: SchemaObject = {
  type: 'object',
  required: ['name', 'scopes'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 100, example: 'nightly deploy job' },
    scopes: {
      type: 'array',
      minItems: 1,
      items: SCOPE_SCHEMA,
      description: "What the token may do: at most the caller's own scopes.",
      example: ['tenants:read'],
    },
    expiresIn: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_EXPIRES_IN_SECONDS,
      default: DEFAULT_EXPIRES_IN_SECONDS,
      description: 'Lifetime in seconds: default 30 days, at most 365 days.',
    },
  },
};

const API_TOKEN_PROPERTIES: Record<string, SchemaObject> = {
  id: { type: 'string', pattern: '^[0-9a-f]{24}$' },
  name: { type: 'string' },
  status: { type: 'string', enum: [...API_TOKEN_STATUSES] },
  scopes: { type: 'array', items: SCOPE_SCHEMA },
  roles: {
    type: 'array',
    items: { type: 'string', enum: ['ops', 'operator'] },
    description: "Its creator's.",
  },
  org: { ...ORG_ID_SCHEMA, description: "Its creator's organisation (operators' tokens)." },
  createdBy: { type: 'string', description: 'Subject of its creator.' },
  createdAt: TIMESTAMP,
  expiresAt: TIMESTAMP,
  revokedAt: TIMESTAMP,
  lastUsedAt: { ...TIMESTAMP, description: 'Last use, to the minute.' },
  links: { type: 'object', required: ['self'], properties: { self: { type: 'string' } } },
};
const API_TOKEN_REQUIRED = [
  'id',
  'name',
  'status',
  'scopes',
  'roles',
  'createdBy',
  'createdAt',
  'expiresAt',
  'links',
];

const ApiToken: SchemaObject = {
  type: 'object',
  description: 'An API token, without its secret.',
  required: API_TOKEN_REQUIRED,
  properties: API_TOKEN_PROPERTIES,
};

const CreatedApiToken: SchemaObject = {
  type: 'object',
  description: 'A new API token, with the token itself: shown this once, never again.',
  required: [...API_TOKEN_REQUIRED, 'token'],
  properties: {
    ...API_TOKEN_PROPERTIES,
    token: {
      type: 'string',
      pattern: '^fdo_[0-9a-f]{24}_[A-Za-z0-9_-]{43}$',
      description: 'Send it as `Authorization: Bearer <token>`.',
    },
  },
};

const ApiTokenList = pageOf('ApiToken', 'A page of API tokens, oldest first.');

const kindsWith = (has: (kind: keyof typeof PROVIDER_KIND_RULES) => boolean): string =>
  RESOURCE_PROVIDER_KINDS.filter(has).join(', ') || 'none';

const PROVIDER_CREDENTIALS = [...new Set(Object.values(PROVIDER_KIND_RULES).flatMap((r) => r.credentials))];
const PROVIDER_SETTINGS = [...new Set(Object.values(PROVIDER_KIND_RULES).flatMap((r) => r.settings))];
const inWords = (kind: (typeof RESOURCE_PROVIDER_KINDS)[number], list: readonly string[]): string =>
  `${kind}: ${list.length === 0 ? 'none' : list.map((c) => `\`${c}\``).join(', ')}`;

const ProviderPlan: SchemaObject = {
  type: 'object',
  description: 'A machine size the provider sells under a platform-wide plan name.',
  required: ['name', 'vcpus', 'memoryMiB', 'diskGiB'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: PLAN_PATTERN.source, example: 'small' },
    vcpus: { type: 'integer', minimum: 1, maximum: 512, example: 2 },
    memoryMiB: { type: 'integer', minimum: 1, maximum: 4_194_304, example: 4096 },
    diskGiB: { type: 'integer', minimum: 1, maximum: 65_536, example: 40 },
    size: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9.-]{0,62}$',
      description: `The vendor's size slug (Hetzner \`cpx21\`, DigitalOcean \`s-2vcpu-4gb\`); required for ${kindsWith((k) => PROVIDER_KIND_RULES[k].sizeSlugs)}.`,
    },
  },
};

const ProviderQuotas: SchemaObject = {
  type: 'object',
  description: 'Upper bounds on what the platform may hold at the provider; an absent one is no bound.',
  additionalProperties: false,
  properties: {
    machines: { type: 'integer', minimum: 0 },
    vcpus: { type: 'integer', minimum: 0 },
    memoryMiB: { type: 'integer', minimum: 0 },
  },
};

const PROVIDER_NAME_SCHEMA: SchemaObject = {
  type: 'string',
  pattern: PROVIDER_NAME_PATTERN,
  description: 'Unique name ops and operators refer to it by (`placement.provider` of a tenant).',
  example: 'pve-fra1',
};

const ProviderRegistration: SchemaObject = {
  type: 'object',
  description:
    'A resource provider to register. Every problem is reported at once in a 400 problem (`errors`); ' +
    'credential values are never echoed.',
  required: ['name', 'kind', 'credentials', 'locations', 'plans', 'image'],
  additionalProperties: false,
  properties: {
    name: PROVIDER_NAME_SCHEMA,
    kind: { type: 'string', enum: [...RESOURCE_PROVIDER_KINDS] },
    endpoint: {
      type: 'string',
      format: 'uri',
      description: `API base URL, without credentials in it. Required for ${kindsWith((k) => PROVIDER_KIND_RULES[k].endpointRequired)}; the clouds default to the vendor's public API.`,
      example: 'https://pve.example.net:8006',
    },
    credentials: {
      type: 'object',
      additionalProperties: false,
      description:
        'Secrets of the kind, sealed at rest and never returned (' +
        RESOURCE_PROVIDER_KINDS.map((k) => inWords(k, PROVIDER_KIND_RULES[k].credentials)).join('; ') +
        ').',
      properties: Object.fromEntries(
        PROVIDER_CREDENTIALS.map((c) => [c, { type: 'string', minLength: 1, maxLength: 4096 }]),
      ),
    },
    locations: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      uniqueItems: true,
      description: 'Regions, locations or Proxmox nodes machines may be placed in; each must exist there.',
      items: { type: 'string', pattern: LOCATION_PATTERN.source },
      example: ['fsn1', 'nbg1'],
    },
    plans: { type: 'array', minItems: 1, maxItems: 50, items: schemaRef('ProviderPlan') },
    image: {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      description: 'The image (cloud slug or name) or Proxmox template VMID machines are made from.',
      example: 'ubuntu-24.04',
    },
    settings: {
      type: 'object',
      additionalProperties: false,
      description:
        'Non-secret settings of the kind (' +
        RESOURCE_PROVIDER_KINDS.map((k) => inWords(k, PROVIDER_KIND_RULES[k].settings)).join('; ') +
        '; proxmox needs `storage`).',
      properties: Object.fromEntries(PROVIDER_SETTINGS.map((c) => [c, { type: 'string', maxLength: 255 }])),
    },
    quotas: schemaRef('ProviderQuotas'),
  },
};

const ProviderView: SchemaObject = {
  type: 'object',
  description: 'A registered resource provider: everything but its credentials.',
  required: [
    'id',
    'name',
    'kind',
    'endpoint',
    'locations',
    'plans',
    'image',
    'settings',
    'quotas',
    'status',
    'credentialFields',
    'lastCheck',
    'usage',
    'createdAt',
    'updatedAt',
    'links',
  ],
  properties: {
    id: { type: 'string', format: 'uuid' },
    name: PROVIDER_NAME_SCHEMA,
    kind: { type: 'string', enum: [...RESOURCE_PROVIDER_KINDS] },
    endpoint: { oneOf: [{ type: 'string' }, { type: 'null' }], description: 'Null: the vendor default.' },
    locations: { type: 'array', items: { type: 'string' } },
    plans: { type: 'array', items: schemaRef('ProviderPlan') },
    image: { type: 'string' },
    settings: { type: 'object', additionalProperties: { type: 'string' } },
    quotas: schemaRef('ProviderQuotas'),
    status: {
      type: 'string',
      enum: [...PROVIDER_STATUSES],
      description: '`draining`: keeps its machines, gets no new ones.',
    },
    credentialFields: {
      type: 'array',
      items: { type: 'string' },
      description: 'Which credentials are set, by name only.',
      example: ['token'],
    },
    lastCheck: {
      description: 'The last connection test (registration, or POST .../test).',
      oneOf: [
        {
          type: 'object',
          required: ['ok', 'at', 'message', 'locations'],
          properties: {
            ok: { type: 'boolean' },
            at: TIMESTAMP,
            message: { type: 'string', description: "`connected`, or the provider's refusal." },
            locations: {
              type: 'array',
              items: { type: 'string' },
              description: 'The locations the provider offers.',
            },
          },
        },
        { type: 'null' },
      ],
    },
    usage: {
      type: 'object',
      description: 'What the platform holds there now.',
      required: ['machines', 'vcpus', 'memoryMiB'],
      properties: {
        machines: { type: 'integer' },
        vcpus: { type: 'integer' },
        memoryMiB: { type: 'integer' },
      },
    },
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
    links: {
      type: 'object',
      required: ['self', 'test'],
      properties: {
        self: { type: 'string', example: '/v1/providers/0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e' },
        test: { type: 'string', description: 'POST here to run the connection test again.' },
      },
    },
  },
};

const ProviderList = pageOf('ProviderView', 'A page of providers, oldest first.');

const FIXED_SCHEMAS = {
  CreateTenantRequest,
  TenantPlacement,
  TenantView,
  TenantList,
  AdminCredentials,
  OperationStep,
  OperationView,
  UpdateTenantRequest,
  TenantChangePreview,
  OperationList,
  AppSnapshot,
  SnapshotList,
  BackupPolicy,
  BackupRequest,
  RestoreRequest,
  AuditEntry,
  AuditList,
  StreamTicket,
  CatalogApp,
  CatalogAppList,
  OptionSpec,
  MachineRef,
  MachineList,
  MachineFinding,
  ReconcileReport,
  MachineCleanupRequest,
  MachineCleanupResult,
  DomainEvent,
  ProblemDetails,
  FieldError,
  QuotaExcess,
  Quotas,
  QuotaUsage,
  CreateOrganisationRequest,
  UpdateOrganisationRequest,
  OrganisationView,
  OrganisationList,
  AddMemberRequest,
  MemberView,
  MemberList,
  CreateApiTokenRequest,
  ApiToken,
  CreatedApiToken,
  ApiTokenList,
  ProviderPlan,
  ProviderQuotas,
  ProviderRegistration,
  ProviderView,
  ProviderList,
} satisfies Record<string, SchemaObject>;

/** Every component schema of the document: the fixed ones, and AppOptions_<app> and AppSelection_<app> per catalog app. */
export const SCHEMAS: typeof FIXED_SCHEMAS & Record<AppSchemaName, SchemaObject> = {
  ...FIXED_SCHEMAS,
  ...APP_SCHEMAS,
};

export type SchemaName = keyof typeof SCHEMAS;

/** A reference to one of SCHEMAS, resolved by the components section of the document. */
export function schemaRef(name: SchemaName): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}
