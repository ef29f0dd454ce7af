import {
  Module,
  type DynamicModule,
  type FactoryProvider,
  type ModuleMetadata,
  type Type,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options';
import { AuthGuard } from './auth.guard';
import { CALLER_DIRECTORY, TokenClaimsCallers, type CallerDirectory } from './callers';
import { TokenVerifier } from './token-verifier';

export interface AuthModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: FactoryProvider<AuthOptions>['inject'];
  useFactory: FactoryProvider<AuthOptions>['useFactory'];
  callers?: Type<CallerDirectory>;
}

/**
 * Bearer-token authentication for the whole app: registers `AuthGuard` as a global guard (every
 * route needs a token unless `@Public()`) and exports `TokenVerifier`. `callers` resolves principals
 * from fedops' own records (organisation membership, API tokens); without it the token's claims are
 * taken as they are and API tokens are refused (for tests of the guard alone). It is instantiated
 * here, so it may depend only on global providers (the DataSource, the logger).
 */
@Module({})
export class AuthModule {
  static register(options: AuthOptions, callers?: Type<CallerDirectory>): DynamicModule {
    return AuthModule.build([{ provide: AUTH_OPTIONS, useValue: options }], callers);
  }

  static registerAsync(options: AuthModuleAsyncOptions): DynamicModule {
    return {
      ...AuthModule.build(
        [{ provide: AUTH_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }],
        options.callers,
      ),
      imports: options.imports ?? [],
    };
  }

  private static build(
    optionsProvider: DynamicModule['providers'],
    callers: Type<CallerDirectory> = TokenClaimsCallers,
  ): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        ...(optionsProvider ?? []),
        TokenVerifier,
        { provide: CALLER_DIRECTORY, useClass: callers },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [TokenVerifier],
    };
  }
}
