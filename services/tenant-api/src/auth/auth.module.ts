import { Module, type DynamicModule, type FactoryProvider, type ModuleMetadata } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options';
import { AuthGuard } from './auth.guard';
import { TokenVerifier } from './token-verifier';

export interface AuthModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: FactoryProvider<AuthOptions>['inject'];
  useFactory: FactoryProvider<AuthOptions>['useFactory'];
}

/**
 * Bearer-token authentication for the whole app: registers `AuthGuard` as a global guard (every
 * route needs a token unless `@Public()`) and exports `TokenVerifier`.
 */
@Module({})
export class AuthModule {
  static register(options: AuthOptions): DynamicModule {
    return AuthModule.build([{ provide: AUTH_OPTIONS, useValue: options }]);
  }

  static registerAsync(options: AuthModuleAsyncOptions): DynamicModule {
    return {
      ...AuthModule.build([
        { provide: AUTH_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
      ]),
      imports: options.imports ?? [],
    };
  }

  private static build(optionsProvider: DynamicModule['providers']): DynamicModule {
    return {
      module: AuthModule,
      providers: [...(optionsProvider ?? []), TokenVerifier, { provide: APP_GUARD, useClass: AuthGuard }],
      exports: [TokenVerifier],
    };
  }
}
