import type { SchemaObject } from '@nestjs/swagger';
import type { WorkflowExecutionStatusName } from '@temporalio/client';
import { listApps } from '@fedops/catalog';
import {
  EVENT_KINDS,
  OPERATION_STEP_STATUSES,
  RESOURCE_PROVIDER_KINDS,
  TENANT_STATUSES,
} from '@fedops/contracts';
import { FedopsErrorCode } from '@fedops/domain';
import { HttpProblemCode } from '../problem/problem-details.filter';

/**
 * The public API's schemas as plain OpenAPI 3 schema objects. Request bodies are parsed by hand
 * (`parseCreateTenantRequest`) and responses are interfaces, so nothing can be inferred from classes:
 * these describe them explicitly. Enumerations come from the contracts and the catalog, so a new
 * status, provider, event kind or app shows up here (and makes docs/openapi.json stale).
 */

const OPTION_VALUE: SchemaObject = {
  oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }],
};

const APP_OPTIONS: SchemaObject = {
  type: 'object',
  description:
    'Option values of the app. The allowed keys, their types and defaults depend on the app: ' +
    'GET /v1/apps lists them per app (`options`). Every app has `subdomain`, the DNS label it answers on ' +
    'under the tenant domain. Unknown keys and values of the wrong type are rejected with 400.',
  additionalProperties: OPTION_VALUE,
  example: { subdomain: 'social' },
};

/** Every WorkflowExecutionStatusName of Temporal; a status added by a Temporal upgrade fails the type check below. */
const WORKFLOW_STATUSES = [
  'UNSPECIFIED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
  'PAUSED',
  'UNKNOWN',
] as const satisfies readonly WorkflowExecutionStatusName[];
const ALL_WORKFLOW_STATUSES_LISTED: [
  Exclude<WorkflowExecutionStatusName, (typeof WORKFLOW_STATUSES)[number]>,
] extends [never]
  ? true
  : false = true;
void ALL_WORKFLOW_STATUSES_LISTED;

const TIMESTAMP: SchemaObject = { type: 'string', format: 'date-time' };

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
      description: 'With VALIDATION_FAILED: every bad field of the request, named by its path.',
      items: { $ref: '#/components/schemas/FieldError' },
    },
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
      description: 'Apps to run, each at most once, with subdomains that do not collide.',
      items: {
        type: 'object',
        required: ['app'],
        additionalProperties: false,
        properties: {
          app: {
            type: 'string',
            enum: listApps().map((a) => a.id),
            description: 'Id of a catalog app (GET /v1/apps).',
          },
          options: APP_OPTIONS,
        },
      },
    },
    provider: {
      type: 'string',
      enum: [...RESOURCE_PROVIDER_KINDS],
      default: 'sandbox',
      description: 'Resource provider the machine is created on.',
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
    'createdAt',
    'updatedAt',
    'links',
  ],
  properties: {
    id: { type: 'string', format: 'uuid' },
    org: { type: 'string', example: 'acme' },
    domain: { type: 'string', example: 'acme.example' },
    status: { type: 'string', enum: [...TENANT_STATUSES] },
    provider: { type: 'string', enum: [...RESOURCE_PROVIDER_KINDS] },
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
      description: 'The latest operation (deploy or destroy) on the tenant.',
      required: ['id', 'href'],
      properties: {
        id: { type: 'string', example: 'tenant-0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e-deploy' },
        href: {
          type: 'string',
          example: '/v1/operations/tenant-0b6a3c1e-4f0e-4b8e-9d6a-2f1c3b4a5d6e-deploy',
        },
      },
    },
    error: { type: 'string', description: 'Why the latest operation failed (status `failed`).' },
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

const TenantList: SchemaObject = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: { $ref: '#/components/schemas/TenantView' } } },
};

const OperationView: SchemaObject = {
  type: 'object',
  description: 'A tenant workflow: its Temporal status and the progress of its steps.',
  required: ['id', 'kind', 'tenantId', 'status', 'steps'],
  properties: {
    id: { type: 'string', pattern: '^tenant-[0-9a-f-]{36}-(deploy|destroy)$' },
    kind: { type: 'string', enum: ['deployTenant', 'destroyTenant'] },
    tenantId: { type: 'string', format: 'uuid' },
    status: {
      type: 'string',
      description: 'Temporal workflow execution status.',
      enum: [...WORKFLOW_STATUSES],
    },
    startedAt: TIMESTAMP,
    closedAt: TIMESTAMP,
    steps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'status'],
        properties: {
          name: { type: 'string', example: 'createMachine' },
          status: { type: 'string', enum: [...OPERATION_STEP_STATUSES] },
          startedAt: TIMESTAMP,
          finishedAt: TIMESTAMP,
          error: { type: 'string' },
        },
      },
    },
  },
};

const OptionSpec: SchemaObject = {
  type: 'object',
  description: 'A typed option of a catalog app, as accepted in `apps[].options` of POST /v1/tenants.',
  required: ['type', 'description'],
  properties: {
    type: { type: 'string', enum: ['string', 'boolean', 'integer', 'enum'] },
    description: { type: 'string' },
    default: { ...OPTION_VALUE, description: 'Used when the option is not given.' },
    required: { type: 'boolean' },
    pattern: { type: 'string', description: '(string) ECMAScript regular expression the value must match.' },
    patternHint: { type: 'string', description: '(string) The pattern in words.' },
    maxLength: { type: 'integer', description: '(string) Longest value.' },
    min: { type: 'integer', description: '(integer) Smallest value.' },
    max: { type: 'integer', description: '(integer) Largest value.' },
    values: { type: 'array', items: { type: 'string' }, description: '(enum) The allowed values.' },
  },
};

const CatalogApp: SchemaObject = {
  type: 'object',
  required: ['id', 'name', 'description', 'options'],
  properties: {
    id: { type: 'string', example: 'mastodon' },
    name: { type: 'string', example: 'Mastodon' },
    description: { type: 'string' },
    options: {
      type: 'object',
      description: "The app's options by name, `subdomain` included.",
      additionalProperties: { $ref: '#/components/schemas/OptionSpec' },
    },
  },
};

const CatalogAppList: SchemaObject = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: { $ref: '#/components/schemas/CatalogApp' } } },
};

const MachineRef: SchemaObject = {
  type: 'object',
  description: 'A machine of the fleet, as the provisioner knows it.',
  required: [
    'machineId',
    'tenantId',
    'provider',
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
    provider: { type: 'string', enum: [...RESOURCE_PROVIDER_KINDS] },
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
  required: ['items'],
  properties: { items: { type: 'array', items: { $ref: '#/components/schemas/MachineRef' } } },
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

export const SCHEMAS = {
  CreateTenantRequest,
  TenantView,
  TenantList,
  OperationView,
  CatalogApp,
  CatalogAppList,
  OptionSpec,
  MachineRef,
  MachineList,
  DomainEvent,
  ProblemDetails,
  FieldError,
} satisfies Record<string, SchemaObject>;

export type SchemaName = keyof typeof SCHEMAS;

/** A reference to one of SCHEMAS, resolved by the components section of the document. */
export function schemaRef(name: SchemaName): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}
