import { listApps } from '@fedops/catalog';
import { FedopsErrorCode } from '@fedops/domain';
import {
  FALLBACK_APP_RESOURCES,
  amountsOf,
  appResources,
  mergeQuotas,
  newTenantAmounts,
  parseQuotaLimits,
  quotaExceededError,
  quotaExcesses,
} from './quotas';

describe('app resources', () => {
  it("are each catalog app's declared needs, and a modest default for an app the catalog no longer has", () => {
    for (const app of listApps())
      expect(appResources(app.id)).toEqual({
        vcpu: app.resources.vcpu,
        memoryMiB: app.resources.memoryMiB,
        storageGiB: app.resources.diskGiB,
      });
    expect(appResources('myspace')).toEqual(FALLBACK_APP_RESOURCES);
  });
});

describe('quota arithmetic', () => {
  it('adds up tenants, apps and what the apps need', () => {
    expect(newTenantAmounts([{ app: 'mastodon' }, { app: 'gotosocial' }])).toEqual({
      tenants: 1,
      apps: 2,
      vcpu: 3,
      memoryMiB: 4608,
      storageGiB: 25,
    });
    expect(amountsOf(2, [{ app: 'forgejo', count: 2 }])).toEqual({
      tenants: 2,
      apps: 2,
      vcpu: 2,
      memoryMiB: 2048,
      storageGiB: 20,
    });
    expect(amountsOf(1, [{ app: 'some-new-app', count: 1 }]).vcpu).toBeGreaterThan(0);
  });

  it('allows reaching a limit and refuses passing it, saying by how much', () => {
    const used = amountsOf(2, [{ app: 'forgejo', count: 2 }]);
    const requested = newTenantAmounts([{ app: 'forgejo' }]);
    expect(quotaExcesses({ tenants: 3, vcpu: 3 }, used, requested)).toEqual([]);
    expect(quotaExcesses({ tenants: 2, apps: 10, memoryMiB: 2500 }, used, requested)).toEqual([
      { quota: 'tenants', limit: 2, used: 2, requested: 1, exceededBy: 1 },
      { quota: 'memoryMiB', limit: 2500, used: 2048, requested: 1024, exceededBy: 572 },
    ]);
    expect(quotaExcesses({}, used, requested)).toEqual([]);
    expect(quotaExcesses({ tenants: 0 }, amountsOf(0, []), requested)).toEqual([
      { quota: 'tenants', limit: 0, used: 0, requested: 1, exceededBy: 1 },
    ]);
  });

  it('makes a QUOTA_EXCEEDED error naming the org, the first limit and all of them', () => {
    const err = quotaExceededError('acme', [
      { quota: 'tenants', limit: 2, used: 2, requested: 1, exceededBy: 1 },
      { quota: 'vcpu', limit: 4, used: 4, requested: 2, exceededBy: 2 },
    ]);
    expect(err.code).toBe(FedopsErrorCode.QuotaExceeded);
    expect(err.message).toBe(
      'Organisation acme: tenants quota exceeded by 1 (limit 2, in use 2, requested 1); ' +
        'vcpu quota exceeded by 2 (limit 4, in use 4, requested 2)',
    );
    expect(err.details.extensions).toMatchObject({
      org: 'acme',
      quota: 'tenants',
      limit: 2,
      used: 2,
      requested: 1,
      exceededBy: 1,
    });
    expect(err.details.extensions?.['exceeded']).toHaveLength(2);
  });
});

describe('quota limits in requests', () => {
  it('reads integers and null, naming bad and unknown ones', () => {
    expect(parseQuotaLimits({ tenants: 3, vcpu: null }, 'quotas')).toEqual({
      limits: { tenants: 3, vcpu: null },
      errors: [],
    });
    expect(
      parseQuotaLimits({ tenants: -1, apps: 1.5, disks: 1 }, 'quotas').errors.map((e) => e.field),
    ).toEqual(['quotas.tenants', 'quotas.apps', 'quotas.disks']);
    expect(parseQuotaLimits([], 'quotas').errors).toEqual([
      { field: 'quotas', message: 'must be an object of limits by name' },
    ]);
  });

  it('merges as a JSON merge patch: a number sets, null removes, absent keeps', () => {
    expect(mergeQuotas({ tenants: 1, vcpu: 4 }, { tenants: 5, vcpu: null, apps: 10 })).toEqual({
      tenants: 5,
      apps: 10,
    });
    expect(mergeQuotas({ tenants: 1 }, {})).toEqual({ tenants: 1 });
  });
});
