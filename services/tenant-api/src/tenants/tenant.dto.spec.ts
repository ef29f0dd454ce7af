import { FedopsError } from '@fedops/domain';
import { parseCreateTenantRequest } from './tenant.dto';

function fieldsOf(body: unknown): string[] {
  try {
    parseCreateTenantRequest(body);
  } catch (err) {
    if (err instanceof FedopsError) return (err.details.fields ?? []).map((f) => f.field);
    throw err;
  }
  return [];
}

describe('parseCreateTenantRequest', () => {
  it('normalises a valid request and defaults the provider', () => {
    expect(parseCreateTenantRequest({ domain: 'Example.ORG.', apps: [{ app: 'mastodon' }] })).toEqual({
      domain: 'example.org',
      apps: [{ app: 'mastodon', options: {} }],
      provider: 'sandbox',
    });
  });

  it('reports every bad field at once', () => {
    expect(
      fieldsOf({
        org: 'Not An Org',
        domain: 42,
        apps: [{ app: 'nope' }],
        provider: 'aws',
        plan: 'gold',
      }).sort(),
    ).toEqual(['apps[0].app', 'domain', 'org', 'plan', 'provider']);
  });

  it('rejects bodies that are not objects', () => {
    expect(fieldsOf([1, 2])).toEqual(['(body)']);
    expect(fieldsOf(null)).toEqual(['(body)']);
  });
});
