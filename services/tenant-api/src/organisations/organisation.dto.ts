import { FedopsError, type FieldError } from '@fedops/domain';
import { parseQuotaLimits, type QuotaAmounts, type QuotaName, type Quotas } from '../quotas/quotas';

/** Organisation ids: what tenants, tokens and the `org` claim name them by. */
export const ORG_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** `sub` of OpenID Connect: at most 255 ASCII characters (here: visible ones). */
export const SUBJECT = /^[\x21-\x7e]{1,255}$/;
const MAX_NAME = 200;

export interface CreateOrganisationCommand {
  id: string;
  name: string;
  quotas: Quotas;
}

/** A JSON merge patch (RFC 7396) of an organisation: `quotas.<name>: null` removes that limit. */
export interface UpdateOrganisationCommand {
  name?: string;
  quotas?: Partial<Record<QuotaName, number | null>>;
}

export interface AddMemberCommand {
  subject: string;
  /** Default: the issuer the API trusts. */
  issuer?: string;
}

export interface OrganisationView {
  id: string;
  name: string;
  quotas: Quotas;
  /** What its live tenants use of each quota (in answers about one organisation). */
  usage?: QuotaAmounts;
  createdAt: string;
  updatedAt: string;
  links: { self: string; members: string };
}

export interface MemberView {
  org: string;
  subject: string;
  issuer: string;
  role: 'operator';
  addedBy: string;
  createdAt: string;
  links: { self: string; organisation: string };
}

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw FedopsError.validation([{ field: '(body)', message: 'must be a JSON object' }]);
  }
  return body as Record<string, unknown>;
}

function unknownFields(raw: Record<string, unknown>, known: readonly string[]): FieldError[] {
  return Object.keys(raw)
    .filter((k) => !known.includes(k))
    .map((field) => ({ field, message: 'is not a known field' }));
}

/** C0 controls and DEL: never meant in a name or URL, and PostgreSQL text cannot hold NUL (a 500 before). */
export function hasControlCharacter(value: string): boolean {
  return [...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
}

function checkName(value: unknown, errors: FieldError[]): string | undefined {
  if (typeof value !== 'string' || value.trim().length === 0 || value.trim().length > MAX_NAME) {
    errors.push({ field: 'name', message: `must be a non-empty string of at most ${MAX_NAME} characters` });
    return undefined;
  }
  if (hasControlCharacter(value)) {
    errors.push({ field: 'name', message: 'must not contain control characters' });
    return undefined;
  }
  return value.trim();
}

/** POST /v1/organisations. */
export function parseCreateOrganisationRequest(body: unknown): CreateOrganisationCommand {
  const raw = objectBody(body);
  const errors = unknownFields(raw, ['id', 'name', 'quotas']);
  const id = raw['id'];
  if (typeof id !== 'string' || !ORG_ID.test(id)) {
    errors.push({
      field: 'id',
      message: 'must be an organisation id: lower-case letters, digits and hyphens, 1-63 characters',
    });
  }
  const name = checkName(raw['name'], errors);
  let quotas: Quotas = {};
  if (raw['quotas'] !== undefined) {
    const parsed = parseQuotaLimits(raw['quotas'], 'quotas');
    errors.push(...parsed.errors);
    quotas = Object.fromEntries(Object.entries(parsed.limits).filter(([, v]) => v !== null)) as Quotas;
  }
  if (errors.length > 0 || name === undefined) throw FedopsError.validation(errors);
  return { id: id as string, name, quotas };
}

/** PATCH /v1/organisations/{id}, a JSON merge patch. */
export function parseUpdateOrganisationRequest(body: unknown): UpdateOrganisationCommand {
  const raw = objectBody(body);
  const errors = unknownFields(raw, ['name', 'quotas']);
  const command: UpdateOrganisationCommand = {};
  if (raw['name'] !== undefined) {
    const name = checkName(raw['name'], errors);
    if (name !== undefined) command.name = name;
  }
  if (raw['quotas'] !== undefined) {
    const parsed = parseQuotaLimits(raw['quotas'], 'quotas');
    errors.push(...parsed.errors);
    command.quotas = parsed.limits;
  }
  if (errors.length > 0) throw FedopsError.validation(errors);
  return command;
}

/** POST /v1/organisations/{id}/members. */
export function parseAddMemberRequest(body: unknown): AddMemberCommand {
  const raw = objectBody(body);
  const errors = unknownFields(raw, ['subject', 'issuer']);
  const { subject, issuer } = raw;
  if (typeof subject !== 'string' || !SUBJECT.test(subject)) {
    errors.push({
      field: 'subject',
      message:
        "must be the member's subject (`sub`) at the identity provider: 1-255 visible ASCII characters",
    });
  }
  if (
    issuer !== undefined &&
    (typeof issuer !== 'string' || hasControlCharacter(issuer) || !isHttpUrl(issuer))
  ) {
    errors.push({
      field: 'issuer',
      message: "must be the identity provider's issuer identifier (an http(s) URL)",
    });
  }
  if (errors.length > 0) throw FedopsError.validation(errors);
  return { subject: subject as string, ...(typeof issuer === 'string' ? { issuer } : {}) };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && value.length <= 2000;
  } catch {
    return false;
  }
}
