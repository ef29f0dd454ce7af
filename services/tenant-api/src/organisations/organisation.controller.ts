import { Body, Controller, Delete, Get, Headers, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiExtension, ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles, Scopes, type Principal } from '../auth';
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKey, sendAnswer } from '../idempotency/idempotent-requests';
import {
  ApiAuthenticated,
  ApiJsonBody,
  ApiJsonResponse,
  ApiListQuery,
  ApiProblemResponses,
  ROLES_EXTENSION,
} from '../openapi/api-docs.decorators';
import type { Page } from '../pagination/list-query';
import {
  parseAddMemberRequest,
  parseCreateOrganisationRequest,
  parseUpdateOrganisationRequest,
  type MemberView,
  type OrganisationView,
} from './organisation.dto';
import { OrganisationService } from './organisation.service';

const ORG_ID_PARAM = {
  name: 'id',
  description: 'Organisation id.',
  schema: { type: 'string' as const, pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
};

const ETAG_HEADER = {
  ETag: {
    description: 'The version of the organisation; send it as If-Match to change it (PATCH).',
    schema: { type: 'string' as const },
  },
};

/** Organisations, managed by ops staff. An operator may read their own (another's is a 404). */
@Controller('v1/organisations')
@Roles('ops')
@ApiTags('organisations')
@ApiAuthenticated('ops')
export class OrganisationController {
  constructor(private readonly organisations: OrganisationService) {}

  @Post()
  @Scopes('organisations:admin')
  @ApiOperation({
    operationId: 'createOrganisation',
    summary: 'Create an organisation',
    description: 'Ops staff only. Quotas that are not given are unlimited.',
  })
  @ApiJsonBody('CreateOrganisationRequest')
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiJsonResponse(201, 'OrganisationView', 'The organisation was created.', {
    ...ETAG_HEADER,
    Location: { description: "The organisation's URL.", schema: { type: 'string' } },
  })
  @ApiProblemResponses(409, 422)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OrganisationView> {
    const answer = await this.organisations.create(
      principal,
      parseCreateOrganisationRequest(body),
      idempotencyKey,
    );
    res.setHeader('ETag', answer.etag);
    return sendAnswer(res, answer);
  }

  @Get()
  @Scopes('organisations:read')
  @ApiOperation({
    operationId: 'listOrganisations',
    summary: 'List organisations',
    description: 'Ops staff only.',
  })
  @ApiListQuery([])
  @ApiJsonResponse(200, 'OrganisationList', 'A page of organisations, oldest first.')
  list(@Query() query: Record<string, unknown>): Promise<Page<OrganisationView>> {
    return this.organisations.list(query);
  }

  @Get(':id')
  @Roles('ops', 'operator')
  @ApiExtension(ROLES_EXTENSION, ['ops', 'operator'])
  @Scopes('organisations:read')
  @ApiOperation({
    operationId: 'getOrganisation',
    summary: 'Get an organisation, its quotas and their use',
    description: 'Ops staff: any organisation; an operator: their own.',
  })
  @ApiParam(ORG_ID_PARAM)
  @ApiJsonResponse(200, 'OrganisationView', 'The organisation, with `usage`.', ETAG_HEADER)
  @ApiProblemResponses(404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OrganisationView> {
    const { view, etag } = await this.organisations.get(principal, id);
    res.setHeader('ETag', etag);
    return view;
  }

  @Patch(':id')
  @Scopes('organisations:admin')
  @ApiOperation({
    operationId: 'updateOrganisation',
    summary: 'Change an organisation (name, quotas)',
    description:
      'A JSON merge patch (RFC 7396): the fields given replace the current ones, and `quotas.<name>: null` ' +
      'removes that limit. Needs If-Match with the ETag of the version the change was made against.',
  })
  @ApiParam(ORG_ID_PARAM)
  @ApiHeader({
    name: 'If-Match',
    required: true,
    description: 'The ETag of the organisation as last read (GET); `*` for any version.',
    schema: { type: 'string' },
  })
  @ApiJsonBody('UpdateOrganisationRequest')
  @ApiJsonResponse(200, 'OrganisationView', 'The organisation as changed.', ETAG_HEADER)
  @ApiProblemResponses(404, 412, 428)
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<OrganisationView> {
    const { view, etag } = await this.organisations.update(
      principal,
      id,
      parseUpdateOrganisationRequest(body),
      ifMatch,
    );
    res.setHeader('ETag', etag);
    return view;
  }

  @Delete(':id')
  @Scopes('organisations:admin')
  @ApiOperation({
    operationId: 'deleteOrganisation',
    summary: 'Delete an organisation',
    description:
      'Only without live tenants (409 otherwise). Its members are removed and its API tokens revoked.',
  })
  @ApiParam(ORG_ID_PARAM)
  @ApiJsonResponse(200, 'OrganisationView', 'The organisation as it was.')
  @ApiProblemResponses(404, 409)
  remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<OrganisationView> {
    return this.organisations.delete(principal, id);
  }
}

/** The operators of an organisation: subjects of the identity provider, added and removed by ops staff. */
@Controller('v1/organisations/:id/members')
@Roles('ops')
@ApiTags('organisations')
@ApiAuthenticated('ops')
export class OrganisationMemberController {
  constructor(private readonly organisations: OrganisationService) {}

  @Get()
  @Scopes('organisations:read')
  @ApiOperation({ operationId: 'listOrganisationMembers', summary: "List an organisation's members" })
  @ApiParam(ORG_ID_PARAM)
  @ApiListQuery([])
  @ApiJsonResponse(200, 'MemberList', 'A page of members, oldest first.')
  @ApiProblemResponses(404)
  list(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<Page<MemberView>> {
    return this.organisations.listMembers(principal, id, query);
  }

  @Post()
  @Scopes('organisations:admin')
  @ApiOperation({
    operationId: 'addOrganisationMember',
    summary: 'Add a member (an operator) to an organisation',
    description:
      'The subject (`sub`) of the identity provider becomes an operator of this organisation: their access ' +
      'tokens are scoped to it whatever org claim they carry (a different org claim is refused). A subject ' +
      'belongs to one organisation at most.',
  })
  @ApiParam(ORG_ID_PARAM)
  @ApiJsonBody('AddMemberRequest')
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiJsonResponse(201, 'MemberView', 'The member was added.', {
    Location: { description: "The member's URL.", schema: { type: 'string' } },
  })
  @ApiProblemResponses(404, 409, 422)
  async add(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: unknown,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<MemberView> {
    return sendAnswer(
      res,
      await this.organisations.addMember(principal, id, parseAddMemberRequest(body), idempotencyKey),
    );
  }

  @Delete(':subject')
  @Scopes('organisations:admin')
  @ApiOperation({
    operationId: 'removeOrganisationMember',
    summary: 'Remove a member',
    description: 'Their API tokens for this organisation are revoked with it.',
  })
  @ApiParam(ORG_ID_PARAM)
  @ApiParam({
    name: 'subject',
    description: "The member's subject (URL-encoded).",
    schema: { type: 'string' },
  })
  @ApiJsonResponse(200, 'MemberView', 'The member as it was.')
  @ApiProblemResponses(404)
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('subject') subject: string,
  ): Promise<MemberView> {
    return this.organisations.removeMember(principal, id, subject);
  }
}
