import { Body, Controller, Delete, Get, Headers, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { FedopsError } from '@fedops/domain';
import { CurrentPrincipal, Roles, type Principal } from '../auth';
import { parseCreateTenantRequest, type TenantView } from './tenant.dto';
import { TenantService } from './tenant.service';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@Controller('v1/tenants')
@Roles('ops', 'operator')
export class TenantController {
  constructor(private readonly tenants: TenantService) {}

  @Post()
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TenantView> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw FedopsError.validation([
        { field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' },
      ]);
    }
    const result = await this.tenants.create(principal, parseCreateTenantRequest(body), idempotencyKey);
    res.status(result.status).setHeader('Location', result.body.links.self);
    return result.body;
  }

  @Get()
  async list(@CurrentPrincipal() principal: Principal): Promise<{ items: TenantView[] }> {
    return { items: await this.tenants.list(principal) };
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<TenantView> {
    return this.tenants.get(principal, id);
  }

  @Delete(':id')
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TenantView> {
    const result = await this.tenants.delete(principal, id);
    res.status(result.status);
    return result.body;
  }
}
