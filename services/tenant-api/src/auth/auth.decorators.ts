import { SetMetadata, applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import type { Principal, Role } from './principal';
import type { Scope } from './scopes';

/**
 * Metadata key marking a route or controller as reachable without a token. A plain string so shared
 * libraries (e.g. the health controller) can set it with `SetMetadata` without depending on this module.
 */
export const IS_PUBLIC_KEY = 'fedops:public';
export const ROLES_KEY = 'fedops:roles';
export const SCOPES_KEY = 'fedops:scopes';

/** Operation extension listing the scopes a route needs (set by `@Scopes`). */
export const SCOPES_EXTENSION = 'x-fedops-scopes';

/** Reachable without a token (health checks). Every other route requires a valid token. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/** The caller needs at least one of these roles; on a method it replaces the controller's list. */
export const Roles = (...roles: [Role, ...Role[]]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);

/**
 * The caller needs every one of these scopes (an API token: those it was minted with; an IdP access
 * token: all of its roles'). A route without `@Scopes` refuses API tokens: token management, for one,
 * takes the identity provider's access token, so a leaked API token cannot mint its successors.
 * Also documents the scopes in the OpenAPI operation (`x-fedops-scopes`).
 */
export const Scopes = (...scopes: [Scope, ...Scope[]]): MethodDecorator =>
  applyDecorators(SetMetadata(SCOPES_KEY, scopes), ApiExtension(SCOPES_EXTENSION, scopes));

/** Where the guard leaves the verified principal on the request. */
export const STREAM_TICKET_KEY = 'fedops:stream-ticket';

/**
 * The route also takes a stream ticket (`?ticket=`) instead of an Authorization header: browsers'
 * EventSource cannot send one. Tickets are short-lived and bound to one tenant (events/stream-tickets.ts).
 */
export const AcceptsStreamTicket = (): MethodDecorator => SetMetadata(STREAM_TICKET_KEY, true);

export const PRINCIPAL = Symbol('fedops.principal');

export interface RequestWithPrincipal {
  [PRINCIPAL]?: Principal;
}

export function principalOf(request: RequestWithPrincipal): Principal | undefined {
  return request[PRINCIPAL];
}

/** The verified caller of the current request. Using it on a `@Public()` route is a programming error. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = principalOf(ctx.switchToHttp().getRequest<RequestWithPrincipal>());
  if (principal === undefined) {
    throw new FedopsError(
      FedopsErrorCode.Internal,
      '@CurrentPrincipal() used on a route the AuthGuard did not authenticate',
    );
  }
  return principal;
});
