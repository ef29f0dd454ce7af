import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import type { Principal, Role } from './principal';

/**
 * Metadata key marking a route or controller as reachable without a token. A plain string so shared
 * libraries (e.g. the health controller) can set it with `SetMetadata` without depending on this module.
 */
export const IS_PUBLIC_KEY = 'fedops:public';
export const ROLES_KEY = 'fedops:roles';

/** Reachable without a token (health checks). Every other route requires a valid token. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/** The caller needs at least one of these roles; on a method it replaces the controller's list. */
export const Roles = (...roles: [Role, ...Role[]]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);

/** Where the guard leaves the verified principal on the request. */
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
