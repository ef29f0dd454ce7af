import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { principalOf, type RequestWithPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { RateLimiter, RateLimitedError, rateLimitHeaders } from './rate-limiter';

/** Each API token has its own quota; the identity provider's tokens share their subject's. */
export function rateLimitKey(principal: Principal): string {
  return principal.apiTokenId !== undefined
    ? `token:${principal.apiTokenId}`
    : `sub:${principal.issuer ?? ''} ${principal.subject}`;
}

/**
 * Limits each caller's requests (after authentication, so the key is the caller, not an address
 * anyone can share): every answer carries the RateLimit header fields, a refused request is a 429
 * with Retry-After. Routes without a principal (health, metrics, the OpenAPI document) are not limited.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  constructor(private readonly limiter: RateLimiter) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const principal = principalOf(http.getRequest<Request & RequestWithPrincipal>());
    if (principal === undefined) return next.handle();
    const decision = this.limiter.consume(rateLimitKey(principal));
    const response = http.getResponse<Response>();
    for (const [name, value] of Object.entries(rateLimitHeaders(this.limiter.policy, decision))) {
      response.setHeader(name, value);
    }
    if (!decision.allowed) throw new RateLimitedError(this.limiter.policy, decision.retryAfterSeconds);
    return next.handle();
  }
}
