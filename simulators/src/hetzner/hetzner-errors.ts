import type { SimResponse } from '../common/http-router';

/**
 * A refusal in Hetzner's envelope: `{"error": {"code", "message", "details"}}` with the status the
 * API (or hcloud-go's tests) use for the code. Handlers throw it; the route wrapper renders it.
 */
export class HetznerApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string, details: unknown = null): unknown {
  return { error: { code, message, details } };
}

export function errorResponse(err: HetznerApiError): SimResponse {
  return { status: err.status, body: errorBody(err.code, err.message, err.details) };
}

/** 400 `invalid_input` naming the fields, as the API does (`details.fields[].messages`). */
export function invalidInput(fields: Array<{ name: string; messages: string[] }>): HetznerApiError {
  const names = fields.map((f) => `'${f.name}'`).join(', ');
  const plural = fields.length === 1 ? 'field' : 'fields';
  return new HetznerApiError(400, 'invalid_input', `invalid input in ${plural} ${names}`, { fields });
}

export function invalidField(name: string, message: string): HetznerApiError {
  return invalidInput([{ name, messages: [message] }]);
}

export function notFound(what = 'resource'): HetznerApiError {
  return new HetznerApiError(404, 'not_found', `${what} not found`);
}

/** 409 `uniqueness_error` with the field that must be unique (`details.fields[].name`). */
export function uniquenessError(field: string, message: string): HetznerApiError {
  return new HetznerApiError(409, 'uniqueness_error', message, { fields: [{ name: field }] });
}

export function lockedError(): HetznerApiError {
  return new HetznerApiError(423, 'locked', 'server is locked because another action is running');
}
