import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, Scopes, type Principal } from '../auth';
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey, sendAnswer } from '../idempotency/idempotent-requests';
import type { Page } from '../pagination/list-query';
import {
  ApiAuthenticated,
  ApiJsonResponse,
  ApiListQuery,
  ApiProblemResponses,
} from '../openapi/api-docs.decorators';
import { OPERATION_LIST_FILTERS, OperationService } from './operation.service';
import type { OperationView } from './operation.view';

const OPERATION_ID_PARAM = {
  name: 'id',
  description: "Operation id, as in a tenant's `operation.id`.",
  schema: { type: 'string' as const, pattern: '^[A-Za-z0-9-]{1,80}$' },
};

@Controller('v1/operations')
@Roles('ops', 'operator')
@ApiTags('operations')
@ApiAuthenticated('ops', 'operator')
export class OperationController {
  constructor(private readonly operations: OperationService) {}

  @Get()
  @Scopes('tenants:read')
  @ApiOperation({
    operationId: 'listOperations',
    summary: 'List operations',
    description:
      "Operations on the caller's organisation's tenants (ops staff: on every tenant), newest first.",
  })
  @ApiListQuery(OPERATION_LIST_FILTERS)
  @ApiJsonResponse(200, 'OperationList', 'A page of operations.')
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
  ): Promise<Page<OperationView>> {
    return this.operations.list(principal, query);
  }

  @Get(':id')
  @Scopes('tenants:read')
  @ApiOperation({ operationId: 'getOperation', summary: "Get an operation's status and steps" })
  @ApiParam(OPERATION_ID_PARAM)
  @ApiJsonResponse(200, 'OperationView', 'The operation.')
  @ApiProblemResponses(404)
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<OperationView> {
    return this.operations.get(principal, id);
  }

  @Post(':id/cancel')
  @Scopes('operations:write')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'cancelOperation',
    summary: 'Cancel an operation',
    description:
      'A pending operation ends `cancelled` at once; a running one becomes `cancelling` while its workflow ' +
      'undoes what it did, then `cancelled`. Deletions cannot be cancelled. Repeating the request is safe.',
  })
  @ApiParam(OPERATION_ID_PARAM)
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiJsonResponse(202, 'OperationView', 'Cancelled, or cancellation under way.')
  @ApiProblemResponses(400, 404, 409, 422)
  async cancel(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @IdempotencyKey() key: string | undefined,
  ): Promise<OperationView> {
    return (await this.operations.cancel(principal, id, key)).body;
  }

  @Post(':id/retry')
  @Scopes('operations:write')
  @HttpCode(202)
  @ApiOperation({
    operationId: 'retryOperation',
    summary: 'Retry a failed or cancelled operation',
    description:
      'Starts a new operation of the same kind on the tenant (its `retryOf` names this one), if this is still ' +
      "the tenant's latest operation.",
  })
  @ApiParam(OPERATION_ID_PARAM)
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiJsonResponse(202, 'OperationView', 'The new operation.', {
    Location: { description: "The new operation's URL.", schema: { type: 'string' } },
  })
  @ApiProblemResponses(400, 404, 409, 422)
  async retry(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @IdempotencyKey() key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OperationView> {
    return sendAnswer(res, await this.operations.retry(principal, id, key));
  }
}
