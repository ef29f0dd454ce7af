import { type FedopsError } from '@fedops/domain';
import {
  parseAddMemberRequest,
  parseCreateOrganisationRequest,
  parseUpdateOrganisationRequest,
} from './organisation.dto';
import { parseSeedOrganisations } from './organisation-seed';

function fieldsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    return ((err as FedopsError).details.fields ?? []).map((f) => f.field);
  }
  throw new Error('expected a validation error');
}

describe('organisation requests', () => {
  it('create: an id, a name and optional quotas (null meaning none)', () => {
    expect(
      parseCreateOrganisationRequest({
        id: 'initech',
        name: ' Initech ',
        quotas: { tenants: 2, apps: null },
      }),
    ).toEqual({ id: 'initech', name: 'Initech', quotas: { tenants: 2 } });
    expect(
      fieldsOf(() =>
        parseCreateOrganisationRequest({ id: 'Initech Inc', name: '', quotas: { vcpus: 1 }, x: 1 }),
      ),
    ).toEqual(['x', 'id', 'name', 'quotas.vcpus']);
  });

  it('update: a merge patch of name and quotas', () => {
    expect(parseUpdateOrganisationRequest({ quotas: { tenants: null, vcpu: 8 } })).toEqual({
      quotas: { tenants: null, vcpu: 8 },
    });
    expect(parseUpdateOrganisationRequest({})).toEqual({});
    expect(fieldsOf(() => parseUpdateOrganisationRequest({ id: 'other', name: 3 }))).toEqual(['id', 'name']);
  });

  it('refuses control characters in names and issuers (PostgreSQL text cannot hold NUL)', () => {
    expect(fieldsOf(() => parseCreateOrganisationRequest({ id: 'nul', name: 'a\u0000b' }))).toEqual(['name']);
    expect(fieldsOf(() => parseUpdateOrganisationRequest({ name: 'line\nbreak' }))).toEqual(['name']);
    expect(
      fieldsOf(() => parseAddMemberRequest({ subject: 'c', issuer: 'https://id.example/\u0000' })),
    ).toEqual(['issuer']);
  });

  it('member: a subject and optionally its issuer', () => {
    expect(parseAddMemberRequest({ subject: 'auth0|carol' })).toEqual({ subject: 'auth0|carol' });
    expect(parseAddMemberRequest({ subject: 'c', issuer: 'https://id.example.net' })).toEqual({
      subject: 'c',
      issuer: 'https://id.example.net',
    });
    expect(fieldsOf(() => parseAddMemberRequest({ subject: 'has space', issuer: 'ftp://x' }))).toEqual([
      'subject',
      'issuer',
    ]);
  });
});

describe('parseSeedOrganisations', () => {
  it('reads id[=name] lists', () => {
    expect(parseSeedOrganisations('acme=Acme Corp, globex ,')).toEqual([
      { id: 'acme', name: 'Acme Corp' },
      { id: 'globex', name: 'globex' },
    ]);
    expect(() => parseSeedOrganisations('Acme')).toThrow('"Acme" is not an organisation id');
  });
});
