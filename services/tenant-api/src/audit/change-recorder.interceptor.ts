import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { tap, type Observable } from 'rxjs';
import { PLATFORM_EVENT_SCOPE, type ChangeRequestedData } from '@fedops/contracts';
import { describeError } from '@fedops/domain';
import { EventPublisher, JsonLogger } from '@fedops/service-kit';
import { principalOf, type RequestWithPrincipal } from '../auth/auth.decorators';

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Publishes of one change's event before its audit line is given up (logged as an error). */
const ANNOUNCE_ATTEMPTS = 4;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What the answer's body says the change was about (a tenant view, an operation view, ...). */
interface AnsweredResource {
  id?: unknown;
  tenantId?: unknown;
  org?: unknown;
}

/**
 * Announces every change asked of the API (who, what, from where, the answer) as a
 * `change.requested` event once the answer is sent, refused ones included; the audit log is fed
 * from these and the domain events. Requests without a principal (refused before authentication)
 * change nothing and are not announced.
 */
@Injectable()
export class ChangeRecorderInterceptor implements NestInterceptor {
  private readonly log;

  constructor(
    private readonly events: EventPublisher,
    logger: JsonLogger,
  ) {
    this.log = logger.child('audit');
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const req = http.getRequest<Request & RequestWithPrincipal>();
    const res = http.getResponse<Response>();
    const principal = principalOf(req);
    if (principal === undefined || !CHANGES.has(req.method)) return next.handle();
    let answered: AnsweredResource = {};
    res.once('finish', () => {
      const data = changeRecord(req, res.statusCode, answered, principal);
      const tenant = tenantOf(req, answered);
      void this.announce(tenant ?? PLATFORM_EVENT_SCOPE, `change/${randomUUID()}`, data).catch(
        (err: unknown) => {
          // The change itself happened (or was refused); its audit line is what is missing: say so loudly.
          this.log.error('could not announce a change for the audit log', {
            ...data,
            error: describeError(err),
          });
        },
      );
    });
    return next.handle().pipe(
      tap((body: unknown) => {
        if (typeof body === 'object' && body !== null) answered = body as AnsweredResource;
      }),
    );
  }

  /**
   * Publishes the change, trying again on a failed publish (the request's answer is sent already, so
   * nothing else would): with the same event id, so JetStream stores it once whatever reached it.
   */
  private async announce(scope: string, id: string, data: ChangeRequestedData): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.events.publish(scope, 'change.requested', id, data);
        return;
      } catch (err: unknown) {
        if (attempt >= ANNOUNCE_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }
}

/**
 * The tenant a change concerns: the answer's `tenantId` (an operation), or the id of a
 * /v1/tenants route (from the path, or the answer for a create). Only tenant ids (UUIDs) count.
 */
function tenantOf(req: Request, answered: AnsweredResource): string | undefined {
  const routePath = (req.route as { path?: string } | undefined)?.path ?? '';
  const candidate =
    typeof answered.tenantId === 'string'
      ? answered.tenantId
      : routePath.startsWith('/v1/tenants')
        ? (idParam(req) ?? answered.id)
        : undefined;
  return typeof candidate === 'string' && UUID.test(candidate) ? candidate : undefined;
}

function idParam(req: Request): string | undefined {
  const param: unknown = req.params['id'];
  return typeof param === 'string' ? param : undefined;
}

function changeRecord(
  req: Request,
  status: number,
  answered: AnsweredResource,
  principal: NonNullable<ReturnType<typeof principalOf>>,
): ChangeRequestedData {
  const routePath = (req.route as { path?: string } | undefined)?.path ?? req.path;
  const target = idParam(req) ?? (typeof answered.id === 'string' ? answered.id : undefined);
  const userAgent = req.header('user-agent');
  return {
    actor: principal.subject,
    ...(principal.orgId !== undefined ? { org: principal.orgId } : {}),
    ...(typeof answered.org === 'string' ? { targetOrg: answered.org } : {}),
    method: req.method,
    action: `${req.method} ${routePath.replace(/:([A-Za-z]+)/g, '{$1}')}`,
    path: req.originalUrl.split('?')[0] ?? req.originalUrl,
    ...(target !== undefined ? { target } : {}),
    status,
    ...(req.ip !== undefined ? { sourceIp: req.ip } : {}),
    ...(userAgent !== undefined ? { userAgent: userAgent.slice(0, 200) } : {}),
  };
}
