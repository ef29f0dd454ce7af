import { appHostnames, requireApp, type AppAdmin, type AppDefinition } from '@fedops/catalog';
import type { AppSelection } from '@fedops/contracts';
import { adminAccount } from './admin-account';

function withAdmin(id: string): AppDefinition & { admin: AppAdmin } {
  const app = requireApp(id);
  if (app.admin === undefined) throw new Error(`${id} has no admin in the catalog`);
  return { ...app, admin: app.admin };
}

/** A tenant on acme.example with the hostnames tenant-api stored when it was created. */
function tenant(apps: AppSelection[]): { domain: string; hostnames: ReturnType<typeof appHostnames> } {
  return { domain: 'acme.example', hostnames: appHostnames('acme.example', apps) };
}

describe('adminAccount', () => {
  it("uses the catalog's defaults: user owner, e-mail owner@ the tenant domain, the app's first endpoint", () => {
    const forgejo: AppSelection = { app: 'forgejo', options: {} };
    expect(adminAccount(withAdmin('forgejo'), forgejo, tenant([forgejo]))).toEqual({
      username: 'owner',
      email: 'owner@acme.example',
      loginUrl: 'https://git.acme.example/',
    });
  });

  it("takes the tenant's own options: username, e-mail and subdomain", () => {
    const mastodon: AppSelection = {
      app: 'mastodon',
      options: { adminUsername: 'alice', adminEmail: 'alice@mail.example', subdomain: 'toot' },
    };
    expect(adminAccount(withAdmin('mastodon'), mastodon, tenant([mastodon]))).toEqual({
      username: 'alice',
      email: 'alice@mail.example',
      loginUrl: 'https://toot.acme.example/',
    });
  });

  it('names the account the app imposes (PeerTube: root), and leaves out the e-mail of apps whose admin has none', () => {
    const peertube: AppSelection = { app: 'peertube', options: {} };
    const matrix: AppSelection = { app: 'matrix', options: { adminUsername: 'admin1' } };
    const both = tenant([peertube, matrix]);
    expect(adminAccount(withAdmin('peertube'), peertube, both)).toMatchObject({
      username: 'root',
      email: 'owner@acme.example',
    });
    const account = adminAccount(withAdmin('matrix'), matrix, both);
    expect(account).toEqual({ username: 'admin1', loginUrl: expect.stringMatching(/^https:\/\//) });
    expect(account).not.toHaveProperty('email');
  });

  it('prefers the stored hostname, and falls back to the catalog for a tenant stored without one', () => {
    const forgejo: AppSelection = { app: 'forgejo', options: {} };
    const stored = {
      domain: 'acme.example',
      hostnames: [{ app: 'forgejo', fqdn: 'code.acme.example', port: 3001 }],
    };
    expect(adminAccount(withAdmin('forgejo'), forgejo, stored).loginUrl).toBe('https://code.acme.example/');
    expect(
      adminAccount(withAdmin('forgejo'), forgejo, { domain: 'acme.example', hostnames: [] }).loginUrl,
    ).toBe('https://git.acme.example/');
  });
});
