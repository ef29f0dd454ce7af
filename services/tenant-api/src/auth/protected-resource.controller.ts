import { Controller, Get, Inject, Module, Req, type DynamicModule } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from './auth.decorators';
import { SCOPES } from './scopes';

/** RFC 9728 protected resource metadata: where a client (the fedops CLI) gets tokens for this API. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: string[];
  scopes_supported: string[];
  resource_documentation: string;
}

export const PROTECTED_RESOURCE_PATH = '.well-known/oauth-protected-resource';

export const PROTECTED_RESOURCE = Symbol('PROTECTED_RESOURCE');
export interface ProtectedResourceOptions {
  issuerUrl: string;
  /** FEDOPS_PUBLIC_URL; empty: the URL the request came to. */
  publicUrl: string;
}

/**
 * Tells clients which issuer's tokens this API takes (RFC 9728), so `fedops login` needs only the
 * API's URL. Public, like the OpenAPI document; not part of it (a well-known URL, as /healthz).
 */
@Controller()
@ApiExcludeController()
export class ProtectedResourceController {
  constructor(@Inject(PROTECTED_RESOURCE) private readonly options: ProtectedResourceOptions) {}

  @Get(PROTECTED_RESOURCE_PATH)
  @Public()
  metadata(@Req() req: Request): ProtectedResourceMetadata {
    const resource =
      this.options.publicUrl !== ''
        ? this.options.publicUrl
        : `${req.protocol}://${req.get('host') ?? 'localhost'}`;
    return {
      resource,
      authorization_servers: [this.options.issuerUrl],
      bearer_methods_supported: ['header'],
      scopes_supported: [...SCOPES],
      resource_documentation: `${resource}/docs`,
    };
  }
}

/** The metadata endpoint as a module of its own: outside AppModule's documented API, like /healthz. */
@Module({})
export class ProtectedResourceModule {
  static register(options: ProtectedResourceOptions): DynamicModule {
    return {
      module: ProtectedResourceModule,
      controllers: [ProtectedResourceController],
      providers: [{ provide: PROTECTED_RESOURCE, useValue: options }],
    };
  }
}
