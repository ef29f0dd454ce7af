import { appOptionsJsonSchema, listApps, requireApp } from '@fedops/catalog';
import { toCatalogAppView } from './catalog-view';

describe('toCatalogAppView', () => {
  it('lists the options lowest weight first, each spec as the catalog has it', () => {
    for (const app of listApps()) {
      const view = toCatalogAppView(app);
      const weights = Object.values(view.options).map((o) => o.weight);
      expect({ app: app.id, weights }).toEqual({ app: app.id, weights: [...weights].sort((a, b) => a - b) });
      expect(view.options).toEqual(app.options);
      expect(view.optionsSchema).toEqual(appOptionsJsonSchema(app));
    }
    expect(Object.keys(toCatalogAppView(requireApp('matrix')).options)).toEqual([
      'subdomain',
      'registrationOpen',
      'element',
      'elementSubdomain',
      'turn',
      'turnSubdomain',
      'adminUsername',
    ]);
  });

  it("leaves out what is the platform's own: loopback ports, how secrets are made and who reads them, the admin's password secret", () => {
    for (const app of listApps()) {
      const view = toCatalogAppView(app);
      expect(view.endpoints.filter((e) => 'port' in e)).toEqual([]);
      expect(
        view.secrets.map((s) =>
          Object.keys(s).filter((k) => !['name', 'description', 'enabledBy'].includes(k)),
        ),
      ).toEqual(view.secrets.map(() => []));
      expect(view.secrets.map((s) => s.name)).toEqual(app.secrets.map((s) => s.name));
      expect(view.admin === undefined ? [] : Object.keys(view.admin)).not.toContain('passwordSecret');
    }
  });

  it("shows Matrix's optional endpoints, firewall ranges and secrets with the option that enables them", () => {
    const view = toCatalogAppView(requireApp('matrix'));
    expect(view.endpoints.map((e) => [e.kind, e.id, e.enabledBy])).toEqual([
      ['http', 'homeserver', undefined],
      ['http', 'element', 'element'],
      ['host', 'turn', 'turn'],
      ['apex-path', 'well-known-server', undefined],
      ['apex-path', 'well-known-client', undefined],
    ]);
    expect(view.ports).toContainEqual({
      protocol: 'udp',
      port: 49152,
      to: 49999,
      purpose: 'TURN relay',
      enabledBy: 'turn',
    });
    expect(view.secrets.find((s) => s.name === 'turn-static-auth-secret')?.enabledBy).toBe('turn');
    expect(view.admin).toEqual({ username: { option: 'adminUsername' } });
    expect(view.databases).toEqual(['matrix-synapse']);
  });

  it("shows an admin name the app imposes (PeerTube's root) and Nextcloud's backup hooks", () => {
    expect(toCatalogAppView(requireApp('peertube')).admin?.username).toEqual({ fixed: 'root' });
    expect(toCatalogAppView(requireApp('nextcloud')).backupHooks).toEqual({
      before: ['nextcloud-occ maintenance:mode --on'],
      after: ['nextcloud-occ maintenance:mode --off'],
    });
  });
});
