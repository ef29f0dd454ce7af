import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, Scopes, type Principal } from '../auth';
import { ApiAuthenticated, ApiJsonResponse, ApiListQuery } from '../openapi/api-docs.decorators';
import type { Page } from '../pagination/list-query';
import { AUDIT_LIST_FILTERS, AuditService, type AuditEntryView } from './audit.service';

@Controller('v1/audit')
@Roles('ops', 'operator')
@ApiTags('audit')
@ApiAuthenticated('ops', 'operator')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Scopes('audit:read')
  @ApiOperation({
    operationId: 'listAuditLog',
    summary: 'Read the audit log',
    description:
      'Every change asked of the API (who, what, from where, the answer) and every domain event (what the ' +
      "platform did), newest first. Operators see their organisation's lines, without ops staff's addresses; " +
      'ops staff see all. Lines arrive through the event stream, a moment after the change.',
  })
  @ApiListQuery(AUDIT_LIST_FILTERS)
  @ApiJsonResponse(200, 'AuditList', 'A page of the audit log.')
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
  ): Promise<Page<AuditEntryView>> {
    return this.audit.list(principal, query);
  }
}
