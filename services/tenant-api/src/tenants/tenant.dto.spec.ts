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
  it('normalises a valid request and defaults the plan, with no placement preference', () => {
    expect(parseCreateTenantRequest({ domain: 'Example.ORG.', apps: [{ app: 'mastodon' }] })).toEqual({
      domain: 'example.org',
      apps: [{ app: 'mastodon', options: {} }],
      plan: 'small',
      placement: {},
    });
  });

  it('takes a plan and a placement preference', () => {
    expect(
      parseCreateTenantRequest({
        domain: 'example.org',
        apps: [{ app: 'mastodon' }],
        plan: 'medium',
        placement: { provider: 'pve-fra1', location: 'pve2' },
      }),
    ).toMatchObject({ plan: 'medium', placement: { provider: 'pve-fra1', location: 'pve2' } });
    expect(
      parseCreateTenantRequest({
        domain: 'example.org',
        apps: [{ app: 'mastodon' }],
        placement: { location: 'fsn1' },
      }),
    ).toMatchObject({ plan: 'small', placement: { location: 'fsn1' } });
  });

  it('keeps `provider` for compatibility: sandbox alone is no preference, another kind needs placement.provider', () => {
    const base = { domain: 'example.org', apps: [{ app: 'mastodon' }] };
    const sandbox = parseCreateTenantRequest({ ...base, provider: 'sandbox' });
    expect(sandbox.placement).toEqual({});
    expect(sandbox.kind).toBeUndefined();
    expect(
      parseCreateTenantRequest({ ...base, provider: 'sandbox', placement: { provider: 'sandbox-b' } }),
    ).toMatchObject({
      kind: 'sandbox',
      placement: { provider: 'sandbox-b' },
    });
    expect(
      parseCreateTenantRequest({ ...base, provider: 'hetzner', placement: { provider: 'hetzner-main' } }),
    ).toMatchObject({
      kind: 'hetzner',
      placement: { provider: 'hetzner-main' },
    });
    let message = '';
    try {
      parseCreateTenantRequest({ ...base, provider: 'hetzner' });
    } catch (err) {
      message = err instanceof FedopsError ? (err.details.fields?.[0]?.message ?? '') : '';
    }
    expect(message).toMatch(
      /^names a kind, not a provider: name the hetzner provider to use in placement\.provider/,
    );
  });

  it('names every bad field of the plan and placement', () => {
    const base = { domain: 'example.org', apps: [{ app: 'mastodon' }] };
    expect(fieldsOf({ ...base, plan: 'Gold Plan' })).toEqual(['plan']);
    expect(fieldsOf({ ...base, plan: 7 })).toEqual(['plan']);
    expect(fieldsOf({ ...base, placement: 'sandbox' })).toEqual(['placement']);
    expect(fieldsOf({ ...base, placement: [] })).toEqual(['placement']);
    expect(
      fieldsOf({ ...base, placement: { provider: 'Not A Name', location: 'a/b', node: 'x' } }).sort(),
    ).toEqual(['placement.location', 'placement.node', 'placement.provider']);
    expect(fieldsOf({ ...base, placement: { provider: 42 } })).toEqual(['placement.provider']);
  });

  it('reports every bad field at once', () => {
    expect(
      fieldsOf({
        org: 'Not An Org',
        domain: 42,
        apps: [{ app: 'nope' }],
        provider: 'aws',
        plan: 'Gold',
        colour: 'blue',
      }).sort(),
    ).toEqual(['apps[0].app', 'colour', 'domain', 'org', 'plan', 'provider']);
  });

  it('rejects bodies that are not objects', () => {
    expect(fieldsOf([1, 2])).toEqual(['(body)']);
    expect(fieldsOf(null)).toEqual(['(body)']);
  });
});
