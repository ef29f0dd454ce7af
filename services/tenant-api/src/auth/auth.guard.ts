import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import {
  IS_PUBLIC_KEY,
  PRINCIPAL,
  ROLES_KEY,
  SCOPES_KEY,
  STREAM_TICKET_KEY,
  type RequestWithPrincipal,
} from './auth.decorators';
import { CALLER_DIRECTORY, type CallerDirectory } from './callers';
import { hasAnyRole, type Principal, type Role } from './principal';
import { effectiveScopes, missingScopes, type Scope } from './scopes';
import { TokenVerifier } from './token-verifier';

/** API tokens start with this; anything else is taken for a JWT access token of the identity provider. */
export const API_TOKEN_PREFIX = 'fdo_';

export type BearerCredentials =
  { kind: 'missing' } | { kind: 'malformed' } | { kind: 'token'; token: string };

/** RFC 6750 section 2.1: `Authorization: Bearer <b64token>`, scheme case-insensitive. */
export function parseBearer(header: string | undefined): BearerCredentials {
  if (header === undefined || header.trim() === '') return { kind: 'missing' };
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return match?.[1] === undefined ? { kind: 'malformed' } : { kind: 'token', token: match[1] };
}

/**
 * RFC 6750 section 3 challenge. No error code when the request carried no credentials at all
 * (section 3.1); `invalid_token` with a short description otherwise.
 */
export function bearerChallenge(description?: string): string {
  if (description === undefined) return 'Bearer realm="fedops"';
  const safe = description.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, ' ');
  return `Bearer realm="fedops", error="invalid_token", error_description="${safe}"`;
}

/**
 * Global guard: every HTTP route needs a valid bearer token unless marked `@Public()` (an access
 * token of the identity provider, or an API token `fdo_...`), the roles named by `@Roles(...)` (any
 * fedops role when none are named) and the scopes named by `@Scopes(...)`. Puts the principal on the
 * request for `@CurrentPrincipal()`. Non-HTTP handlers (NATS) pass: they do not carry bearer tokens.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
    @Inject(CALLER_DIRECTORY) private readonly callers: CallerDirectory,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<Request & RequestWithPrincipal>();
    const response = http.getResponse<Response>();
    const ticket = streamTicketOf(
      request,
      this.reflector.getAllAndOverride<boolean>(STREAM_TICKET_KEY, targets),
    );
    const principal =
      ticket !== undefined
        ? await this.redeem(ticket, request, response)
        : await this.authenticate(request, response);

    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [];
    if (!hasAnyRole(principal, required)) {
      const needed = required.length === 0 ? 'a fedops role' : `role ${required.join(' or ')}`;
      const held = principal.roles.length === 0 ? 'none' : principal.roles.join(', ');
      throw new FedopsError(
        FedopsErrorCode.Forbidden,
        `This operation requires ${needed}; the token has roles: ${held}`,
      );
    }
    checkScopes(principal, this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_KEY, targets));
    request[PRINCIPAL] = principal;
    return true;
  }

  private async redeem(ticket: string, request: Request, response: Response): Promise<Principal> {
    const tenantId: unknown = request.params['id'];
    try {
      return await this.callers.resolveStreamTicket(ticket, typeof tenantId === 'string' ? tenantId : '');
    } catch (err) {
      if (err instanceof FedopsError && err.code === FedopsErrorCode.Unauthenticated) {
        response.setHeader('WWW-Authenticate', bearerChallenge(err.message));
        throw new FedopsError(FedopsErrorCode.Unauthenticated, `Invalid stream ticket: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  private async authenticate(request: Request, response: Response): Promise<Principal> {
    const credentials = parseBearer(request.headers.authorization);
    if (credentials.kind === 'missing') {
      response.setHeader('WWW-Authenticate', bearerChallenge());
      throw new FedopsError(
        FedopsErrorCode.Unauthenticated,
        'Missing bearer token (Authorization: Bearer <access token>)',
      );
    }
    if (credentials.kind === 'malformed') {
      response.setHeader('WWW-Authenticate', bearerChallenge('malformed Authorization header'));
      throw new FedopsError(
        FedopsErrorCode.Unauthenticated,
        'Invalid access token: malformed Authorization header',
      );
    }
    const apiToken = credentials.token.startsWith(API_TOKEN_PREFIX);
    try {
      if (apiToken) return await this.callers.resolveApiToken(credentials.token);
      const identity = await this.verifier.verifyIdentity(credentials.token);
      return await this.callers.resolveIdentity(identity, await this.verifier.issuer());
    } catch (err) {
      if (err instanceof FedopsError && err.code === FedopsErrorCode.Unauthenticated) {
        response.setHeader('WWW-Authenticate', bearerChallenge(err.message));
        const what = apiToken ? 'API token' : 'access token';
        throw new FedopsError(FedopsErrorCode.Unauthenticated, `Invalid ${what}: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    }
  }
}

/** The stream ticket of a request without an Authorization header, on a route that takes one. */
function streamTicketOf(request: Request, accepted: boolean | undefined): string | undefined {
  if (accepted !== true || request.headers.authorization !== undefined) return undefined;
  const ticket: unknown = request.query['ticket'];
  return typeof ticket === 'string' ? ticket : undefined;
}

/**
 * Refuses a principal lacking a scope the route names (403 naming it). A route that names none takes
 * only the identity provider's access tokens, never API tokens.
 */
export function checkScopes(principal: Principal, required: readonly Scope[] | undefined): void {
  if (required === undefined) {
    if (principal.apiTokenId === undefined) return;
    throw new FedopsError(
      FedopsErrorCode.Forbidden,
      'This operation takes an access token of the identity provider, not an API token',
    );
  }
  const missing = missingScopes(principal, required);
  if (missing.length === 0) return;
  const held = effectiveScopes(principal);
  throw new FedopsError(
    FedopsErrorCode.Forbidden,
    `This operation requires scope ${missing.join(' and ')}; the token has scopes: ${held.length === 0 ? 'none' : held.join(', ')}`,
  );
}
