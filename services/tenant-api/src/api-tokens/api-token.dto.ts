import { FedopsError, type FieldError } from '@fedops/domain';
import { SCOPES, isScope, type Role, type Scope } from '../auth';

export const DAY_SECONDS = 24 * 60 * 60;
/** Longest lifetime of an API token: 365 days. */
export const MAX_EXPIRES_IN_SECONDS = 365 * DAY_SECONDS;
/** Lifetime when the request names none: 30 days. */
export const DEFAULT_EXPIRES_IN_SECONDS = 30 * DAY_SECONDS;
const MAX_NAME = 100;

export interface CreateApiTokenCommand {
  name: string;
  scopes: Scope[];
  expiresInSeconds: number;
}

export const API_TOKEN_STATUSES = ['active', 'expired', 'revoked'] as const;
export type ApiTokenStatus = (typeof API_TOKEN_STATUSES)[number];

export interface ApiTokenView {
  id: string;
  name: string;
  status: ApiTokenStatus;
  scopes: Scope[];
  roles: Role[];
  org?: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt?: string;
  lastUsedAt?: string;
  links: { self: string };
}

/** The answer to POST /v1/tokens: the only time the token itself is shown. */
export interface CreatedApiTokenView extends ApiTokenView {
  token: string;
}

/** POST /v1/tokens: `name`, `scopes` (from SCOPES), `expiresIn` in seconds (default 30 days, at most 365). */
export function parseCreateApiTokenRequest(body: unknown): CreateApiTokenCommand {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw FedopsError.validation([{ field: '(body)', message: 'must be a JSON object' }]);
  }
  const raw = body as Record<string, unknown>;
  const errors: FieldError[] = Object.keys(raw)
    .filter((k) => !['name', 'scopes', 'expiresIn'].includes(k))
    .map((field) => ({ field, message: 'is not a known field' }));
  const { name, scopes, expiresIn } = raw;
  if (typeof name !== 'string' || name.trim().length === 0 || name.trim().length > MAX_NAME) {
    errors.push({ field: 'name', message: `must be a non-empty string of at most ${MAX_NAME} characters` });
  } else if ([...name].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) {
    // PostgreSQL text cannot hold NUL (it was a 500), and no control character belongs in a name.
    errors.push({ field: 'name', message: 'must not contain control characters' });
  }
  if (!Array.isArray(scopes) || scopes.length === 0) {
    errors.push({ field: 'scopes', message: `must be a non-empty array of scopes: ${SCOPES.join(', ')}` });
  } else {
    scopes.forEach((s: unknown, i) => {
      if (!isScope(s)) errors.push({ field: `scopes[${i}]`, message: `must be one of ${SCOPES.join(', ')}` });
    });
  }
  if (
    expiresIn !== undefined &&
    !(
      Number.isInteger(expiresIn) &&
      (expiresIn as number) >= 1 &&
      (expiresIn as number) <= MAX_EXPIRES_IN_SECONDS
    )
  ) {
    errors.push({
      field: 'expiresIn',
      message: `must be a number of seconds from 1 to ${MAX_EXPIRES_IN_SECONDS} (365 days)`,
    });
  }
  if (errors.length > 0) throw FedopsError.validation(errors);
  return {
    name: (name as string).trim(),
    // In SCOPES order, once each.
    scopes: SCOPES.filter((s) => (scopes as unknown[]).includes(s)),
    expiresInSeconds: (expiresIn as number | undefined) ?? DEFAULT_EXPIRES_IN_SECONDS,
  };
}
