import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { IS_PUBLIC_KEY, PRINCIPAL, ROLES_KEY, type RequestWithPrincipal } from './auth.decorators';
import { hasAnyRole, type Principal, type Role } from './principal';
import { TokenVerifier } from './token-verifier';

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
 * Global guard: every HTTP route needs a valid bearer token unless marked `@Public()`, and the roles
 * named by `@Roles(...)` (any fedops role when none are named). Puts the principal on the request
 * for `@CurrentPrincipal()`. Non-HTTP handlers (NATS) pass: they do not carry bearer tokens.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<Request & RequestWithPrincipal>();
    const response = http.getResponse<Response>();
    const principal = await this.authenticate(request, response);

    const required = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [];
    if (!hasAnyRole(principal, required)) {
      const needed = required.length === 0 ? 'a fedops role' : `role ${required.join(' or ')}`;
      const held = principal.roles.length === 0 ? 'none' : principal.roles.join(', ');
      throw new FedopsError(
        FedopsErrorCode.Forbidden,
        `This operation requires ${needed}; the token has roles: ${held}`,
      );
    }
    request[PRINCIPAL] = principal;
    return true;
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
    try {
      return await this.verifier.verify(credentials.token);
    } catch (err) {
      if (err instanceof FedopsError && err.code === FedopsErrorCode.Unauthenticated) {
        response.setHeader('WWW-Authenticate', bearerChallenge(err.message));
        throw new FedopsError(FedopsErrorCode.Unauthenticated, `Invalid access token: ${err.message}`, {
          cause: err,
        });
      }
      throw err;
    }
  }
}
