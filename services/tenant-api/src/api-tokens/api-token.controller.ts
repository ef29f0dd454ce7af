import { Body, Controller, Delete, Get, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, type Principal } from '../auth';
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey, sendAnswer } from '../idempotency/idempotent-requests';
import {
  ApiAuthenticated,
  ApiJsonBody,
  ApiJsonResponse,
  ApiListQuery,
  ApiProblemResponses,
} from '../openapi/api-docs.decorators';
import type { Page } from '../pagination/list-query';
import { parseCreateApiTokenRequest, type ApiTokenView, type CreatedApiTokenView } from './api-token.dto';
import { API_TOKEN_LIST_FILTERS, ApiTokenService } from './api-token.service';

const TOKEN_ID_PARAM = {
  name: 'id',
  description: 'API token id (the part after `fdo_`).',
  schema: { type: 'string' as const, pattern: '^[0-9a-f]{24}$' },
};

/**
 * API tokens for automation. These routes have no `@Scopes`: they take only the identity
 * provider's access tokens, so an API token cannot mint, list or revoke tokens.
 */
@Controller('v1/tokens')
@Roles('ops', 'operator')
@ApiTags('tokens')
@ApiAuthenticated('ops', 'operator')
export class ApiTokenController {
  constructor(private readonly tokens: ApiTokenService) {}

  @Post()
  @ApiOperation({
    operationId: 'createApiToken',
    summary: 'Create an API token',
    description:
      'A bearer token for automation, `fdo_<id>_<secret>`, with the chosen scopes (at most those of the ' +
      "caller) and the caller's role and organisation. The answer shows the token once; fedops keeps only " +
      'a hash of its secret. Needs an access token of the identity provider (not an API token).',
  })
  @ApiJsonBody('CreateApiTokenRequest')
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiJsonResponse(201, 'CreatedApiToken', 'The token, with its secret (shown only here).', {
    Location: { description: "The token's URL.", schema: { type: 'string' } },
  })
  @ApiProblemResponses(409, 422)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<CreatedApiTokenView> {
    return sendAnswer(
      res,
      await this.tokens.create(principal, parseCreateApiTokenRequest(body), idempotencyKey),
    );
  }

  @Get()
  @ApiOperation({
    operationId: 'listApiTokens',
    summary: 'List API tokens',
    description:
      "The caller's own tokens (active, expired and revoked), oldest first; ops staff may pass `org` for " +
      'every token of an organisation. Secrets are never shown again.',
  })
  @ApiListQuery(API_TOKEN_LIST_FILTERS)
  @ApiJsonResponse(200, 'ApiTokenList', 'A page of tokens.')
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
  ): Promise<Page<ApiTokenView>> {
    return this.tokens.list(principal, query);
  }

  @Delete(':id')
  @ApiOperation({
    operationId: 'revokeApiToken',
    summary: 'Revoke an API token',
    description:
      'The token stops working at once. Its creator and ops staff may revoke it; revoking it again is safe.',
  })
  @ApiParam(TOKEN_ID_PARAM)
  @ApiJsonResponse(200, 'ApiToken', 'The token, now revoked.')
  @ApiProblemResponses(404)
  revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ApiTokenView> {
    return this.tokens.revoke(principal, id);
  }
}
