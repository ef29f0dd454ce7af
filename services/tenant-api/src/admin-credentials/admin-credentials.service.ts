import { Injectable } from '@nestjs/common';
import { findApp } from '@fedops/catalog';
import {
  ADMIN_PASSWORD_REVEAL_SUBJECT,
  type AdminCredentialsView,
  type RevealAdminPasswordRequest,
  type RevealedAdminPassword,
} from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';
import type { Principal } from '../auth/principal';
import { DeployerRpc } from '../deployer-rpc/deployer-rpc';
import { TenantService } from '../tenants/tenant.service';
import { adminAccount } from './admin-account';

/**
 * The first admin account of a tenant's app, shown once: tenant-api names the account (from the
 * tenant's options) and the deployer hands out the password it generated, marking it revealed as
 * it reads it. tenant-api keeps nothing of it and logs only that it was revealed, and to whom.
 */
@Injectable()
export class AdminCredentialsService {
  private readonly log;

  constructor(
    private readonly tenants: TenantService,
    private readonly deployer: DeployerRpc,
    logger: JsonLogger,
  ) {
    this.log = logger.child('admin-credentials');
  }

  async reveal(principal: Principal, tenantId: string, appId: string): Promise<AdminCredentialsView> {
    const tenant = await this.tenants.findVisible(principal, tenantId);
    const selection = tenant.apps.find((a) => a.app === appId);
    if (selection === undefined) {
      throw new FedopsError(
        FedopsErrorCode.NotFound,
        `Tenant ${tenant.id} has no app "${appId}"; its apps: ${tenant.apps.map((a) => a.app).join(', ')}`,
      );
    }
    const app = findApp(appId);
    if (app === undefined)
      throw new FedopsError(FedopsErrorCode.NotFound, `App "${appId}" is not in the catalog`);
    if (app.admin === undefined) {
      throw new FedopsError(
        FedopsErrorCode.Conflict,
        `${app.name} (${app.id}) has no admin account: it has no accounts to sign in with`,
      );
    }
    switch (tenant.status) {
      case 'provisioning':
        throw new FedopsError(
          FedopsErrorCode.Conflict,
          `Tenant ${tenant.id} is not deployed yet: the admin account of ${app.id} is made by its first ` +
            'deployment; ask again once the tenant is ready',
        );
      case 'deleting':
      case 'deleted':
        throw new FedopsError(
          FedopsErrorCode.Conflict,
          `Tenant ${tenant.id} is ${tenant.status}: its apps and their accounts are being removed`,
        );
      // While an update or a restore runs, the tenant's apps (an app it adds is not one until it
      // succeeded) keep their accounts.
      case 'ready':
      case 'updating':
      case 'restoring':
      case 'failed':
        break;
    }
    const account = adminAccount({ ...app, admin: app.admin }, selection, tenant);
    const request: RevealAdminPasswordRequest = { tenantId: tenant.id, app: app.id };
    const revealed = await this.deployer.call<RevealedAdminPassword>(ADMIN_PASSWORD_REVEAL_SUBJECT, request);
    this.log.info('admin credentials revealed', {
      tenantId: tenant.id,
      app: app.id,
      username: account.username,
      actor: principal.subject,
      revealedAt: revealed.revealedAt,
    });
    return {
      app: app.id,
      username: account.username,
      ...(account.email !== undefined ? { email: account.email } : {}),
      password: revealed.password,
      loginUrl: account.loginUrl,
    };
  }
}
