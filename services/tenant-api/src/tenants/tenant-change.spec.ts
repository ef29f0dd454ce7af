import type { AppSelection } from '@fedops/contracts';
import { thrownFedopsError } from '@fedops/testing';
import { type FedopsError, FedopsErrorCode } from '@fedops/domain';
import { applyTenantChange, parseUpdateTenantRequest, type UpdateTenantCommand } from './tenant-change';

const thrown = thrownFedopsError;

const fields = (err: FedopsError): string[] => (err.details.fields ?? []).map((f) => f.field);

function change(overrides: Partial<UpdateTenantCommand>): UpdateTenantCommand {
  return { add: [], remove: [], change: [], confirmRemoval: [], ...overrides };
}

const tenantApps = (): AppSelection[] => [
  { app: 'gotosocial', options: { registrationsOpen: true } },
  { app: 'jitsi', options: {} },
];

describe('parseUpdateTenantRequest', () => {
  it('reads add, remove, change (with null for a default) and confirmRemoval', () => {
    expect(
      parseUpdateTenantRequest({
        apps: {
          add: [{ app: 'matrix' }],
          remove: ['forgejo'],
          change: [{ app: 'gotosocial', options: { registrationsOpen: null, adminUsername: 'boss' } }],
        },
        confirmRemoval: ['forgejo'],
      }),
    ).toEqual({
      add: [{ app: 'matrix', options: {} }],
      remove: ['forgejo'],
      change: [{ app: 'gotosocial', options: { registrationsOpen: null, adminUsername: 'boss' } }],
      confirmRemoval: ['forgejo'],
    });
  });

  it('names every bad field at once: unknown fields, wrong types, a change without options', () => {
    const err = thrown(() =>
      parseUpdateTenantRequest({
        apps: { add: 'matrix', remove: [3], change: [{ app: 'jitsi' }], replace: [] },
        domain: 'other.example',
      }),
    );
    expect(err.code).toBe(FedopsErrorCode.ValidationFailed);
    expect(fields(err).sort()).toEqual(
      ['apps.add', 'apps.change[0].options', 'apps.remove', 'apps.replace', 'domain'].sort(),
    );
  });

  it('refuses a body that changes nothing, and an app named twice', () => {
    expect(fields(thrown(() => parseUpdateTenantRequest({ apps: {} })))).toEqual(['apps']);
    expect(fields(thrown(() => parseUpdateTenantRequest({})))).toEqual(['apps']);
    expect(
      fields(
        thrown(() => parseUpdateTenantRequest({ apps: { add: [{ app: 'jitsi' }], remove: ['jitsi'] } })),
      ),
    ).toEqual(['apps.remove[0]']);
  });

  it('refuses null for an option of an added app (only a change resets to the default)', () => {
    expect(
      fields(
        thrown(() => parseUpdateTenantRequest({ apps: { add: [{ app: 'jitsi', options: { x: null } }] } })),
      ),
    ).toEqual(['apps.add[0].options.x']);
  });
});

describe('applyTenantChange', () => {
  it('adds an app after the current ones', () => {
    expect(applyTenantChange(tenantApps(), change({ add: [{ app: 'matrix', options: {} }] })).apps).toEqual([
      ...tenantApps(),
      { app: 'matrix', options: {} },
    ]);
  });

  it('merges changed options into the current ones; null removes one (its default applies)', () => {
    const { apps } = applyTenantChange(
      tenantApps(),
      change({
        change: [{ app: 'gotosocial', options: { registrationsOpen: null, adminUsername: 'boss' } }],
      }),
    );
    expect(apps[0]).toEqual({ app: 'gotosocial', options: { adminUsername: 'boss' } });
  });

  it('answers 409 for adding an app the tenant has', () => {
    const err = thrown(() =>
      applyTenantChange(tenantApps(), change({ add: [{ app: 'jitsi', options: {} }] })),
    );
    expect(err.code).toBe(FedopsErrorCode.Conflict);
    expect(err.message).toContain('jitsi');
  });

  it('names the field of a removal or change of an app the tenant does not have', () => {
    const err = thrown(() =>
      applyTenantChange(
        tenantApps(),
        change({ remove: ['forgejo'], change: [{ app: 'mastodon', options: { subdomain: 'm' } }] }),
      ),
    );
    expect(err.code).toBe(FedopsErrorCode.ValidationFailed);
    expect(err.details.fields).toEqual([
      { field: 'apps.remove[0]', message: expect.stringContaining('not an app of this tenant') },
      { field: 'apps.change[0].app', message: expect.stringContaining('it has gotosocial, jitsi') },
    ]);
  });

  it("names the request's field for a catalog problem of an added or changed app", () => {
    const err = thrown(() =>
      applyTenantChange(
        tenantApps(),
        change({
          add: [{ app: 'matrix', options: { subdomain: 'Not A Label' } }],
          change: [{ app: 'gotosocial', options: { registrationsOpen: 'yes' } }],
        }),
      ),
    );
    expect(fields(err).sort()).toEqual(
      ['apps.add[0].options.subdomain', 'apps.change[0].options.registrationsOpen'].sort(),
    );
  });

  it('names an unknown added app', () => {
    expect(
      fields(
        thrown(() => applyTenantChange(tenantApps(), change({ add: [{ app: 'myspace', options: {} }] }))),
      ),
    ).toEqual(['apps.add[0].app']);
  });

  it('refuses a subdomain that another app of the tenant answers on', () => {
    const err = thrown(() =>
      applyTenantChange(tenantApps(), change({ add: [{ app: 'forgejo', options: { subdomain: 'gts' } }] })),
    );
    expect(err.code).toBe(FedopsErrorCode.ValidationFailed);
    expect(fields(err)[0]).toMatch(/^apps\.add\[0\]/);
  });

  it('removing an app that holds data needs it in confirmRemoval; one without data does not', () => {
    const unconfirmed = thrown(() => applyTenantChange(tenantApps(), change({ remove: ['gotosocial'] })));
    expect(unconfirmed.details.fields).toEqual([
      {
        field: 'confirmRemoval',
        message: expect.stringContaining('database gotosocial, /var/lib/gotosocial'),
      },
    ]);
    expect(
      applyTenantChange(tenantApps(), change({ remove: ['gotosocial'], confirmRemoval: ['gotosocial'] })),
    ).toEqual({ apps: [{ app: 'jitsi', options: {} }] });
    expect(applyTenantChange(tenantApps(), change({ remove: ['jitsi'] })).apps).toEqual([tenantApps()[0]]);
  });

  it('refuses confirmRemoval naming an app the change does not remove, and removing every app', () => {
    expect(
      fields(
        thrown(() =>
          applyTenantChange(tenantApps(), change({ remove: ['jitsi'], confirmRemoval: ['gotosocial'] })),
        ),
      ),
    ).toEqual(['confirmRemoval[0]']);
    expect(
      fields(
        thrown(() =>
          applyTenantChange(
            tenantApps(),
            change({ remove: ['jitsi', 'gotosocial'], confirmRemoval: ['gotosocial'] }),
          ),
        ),
      ),
    ).toContain('apps.remove');
  });
});
