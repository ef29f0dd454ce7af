import type {
  AppSelection,
  ConfigurationFileChange,
  ConfigurationPreviewRequest,
  ResourceProviderKind,
} from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { parseConfigurationPreviewRequest } from './configuration-preview.controller';
import { previewConfiguration } from './configuration-preview';
import { hostnameFor, renderFlake } from './flake-renderer';

const forgejo: AppSelection = { app: 'forgejo', options: {} };
const matrix: AppSelection = { app: 'matrix', options: {} };

const request = (
  from: AppSelection[],
  to: AppSelection[],
  over: Partial<ConfigurationPreviewRequest> = {},
): ConfigurationPreviewRequest => ({
  tenantId: 'tenant-1',
  domain: 'example.org',
  provider: 'hetzner',
  from,
  to,
  ...over,
});

/** The diff's removed and added lines (`-…`/`+…`), file headers left out. */
function changedLines(diff: string): string[] {
  return diff
    .split('\n')
    .slice(2)
    .filter((line) => line.startsWith('+') || line.startsWith('-'));
}

function fileOf(files: readonly ConfigurationFileChange[], path: string): ConfigurationFileChange {
  const found = files.find((f) => f.path === path);
  if (found === undefined) throw new Error(`no change to ${path}`);
  return found;
}

function validationFields(run: () => unknown): string[] {
  try {
    run();
  } catch (err: unknown) {
    if (err instanceof FedopsError && err.code === FedopsErrorCode.ValidationFailed)
      return (err.details.fields ?? []).map((f) => f.field);
    throw err;
  }
  throw new Error('expected a VALIDATION_FAILED');
}

describe('previewConfiguration', () => {
  it('shows an app added to a tenant as its new module and the lines it adds to the shared files', () => {
    const { files } = previewConfiguration(request([forgejo], [forgejo, matrix]));

    expect(files.map((f) => [f.path, f.change])).toEqual([
      ['apps/matrix.nix', 'added'],
      ['base.nix', 'changed'],
      ['fedops-apps.json', 'changed'],
      ['flake.nix', 'changed'],
    ]);
    const added = (path: string): string[] =>
      changedLines(fileOf(files, path).diff).filter((l) => l.startsWith('+'));
    for (const fqdn of ['matrix.example.org', 'element.example.org', 'turn.example.org']) {
      expect(added('base.nix').some((l) => l.includes(`"${fqdn}" = {`))).toBe(true);
      expect(added('fedops-apps.json').some((l) => l.includes(`"fqdn": "${fqdn}"`))).toBe(true);
    }
    expect(changedLines(fileOf(files, 'flake.nix').diff)).toEqual(['+        ./apps/matrix.nix']);
    expect(changedLines(fileOf(files, 'apps/matrix.nix').diff).every((l) => l.startsWith('+'))).toBe(true);
  });

  it('shows an app removed from a tenant as its module removed, every line of it taken out', () => {
    const { files } = previewConfiguration(request([forgejo, matrix], [forgejo]));

    const module = fileOf(files, 'apps/matrix.nix');
    expect(module.change).toBe('removed');
    expect(module.diff.startsWith('--- a/apps/matrix.nix\n+++ b/apps/matrix.nix\n@@ -1,')).toBe(true);
    expect(changedLines(module.diff).every((l) => l.startsWith('-'))).toBe(true);
    expect(changedLines(fileOf(files, 'flake.nix').diff)).toEqual(['-        ./apps/matrix.nix']);
  });

  it('shows a changed option value as exactly the lines it changes, with 3 lines of context', () => {
    const { files } = previewConfiguration(
      request([matrix], [{ app: 'matrix', options: { registrationOpen: true } }]),
    );

    expect(files.map((f) => [f.path, f.change])).toEqual([
      ['apps/matrix.nix', 'changed'],
      ['fedops-apps.json', 'changed'],
    ]);
    expect(changedLines(fileOf(files, 'apps/matrix.nix').diff)).toEqual([
      '-        enable_registration = false;',
      '+        enable_registration = true;',
      '+        enable_registration_without_verification = true;',
    ]);
    const manifestDiff = fileOf(files, 'fedops-apps.json').diff;
    expect(changedLines(manifestDiff)).toEqual([
      '-        "registrationOpen": false,',
      '+        "registrationOpen": true,',
    ]);
    // One hunk: the header, 3 lines before, the change, 3 lines after.
    const lines = manifestDiff.trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual(['--- a/fedops-apps.json', '+++ b/fedops-apps.json']);
    expect(lines[2]).toMatch(/^@@ -\d+,7 \+\d+,7 @@$/);
    expect(lines).toHaveLength(3 + 7 + 1);
  });

  it.each<ResourceProviderKind>(['sandbox', 'proxmox'])(
    'shows every file added for a tenant never deployed (%s), with the content a deploy renders',
    (provider) => {
      const smtp = { host: 'smtp.example.net', port: 587, username: 'fedops' };
      const to = [forgejo, matrix];
      const { files } = previewConfiguration(
        request([], to, { provider, tenantId: 'Tenant_7', domain: 'Example.ORG.' }),
        smtp,
      );

      const deployed = renderFlake({
        tenantId: 'Tenant_7',
        domain: 'example.org',
        hostname: hostnameFor('Tenant_7'),
        apps: to,
        machineKind: provider,
        smtp,
      }).files;
      expect(files.map((f) => f.change)).toEqual(deployed.map(() => 'added'));
      expect(
        files.map((f) => ({
          path: f.path,
          content: changedLines(f.diff)
            .map((l) => `${l.slice(1)}\n`)
            .join(''),
        })),
      ).toEqual(deployed);
    },
  );

  it('shows no files when the change renders the same configuration', () => {
    expect(previewConfiguration(request([forgejo, matrix], [matrix, forgejo]))).toEqual({ files: [] });
  });

  it('refuses an invalid option value, naming it under to or from', () => {
    const bad: AppSelection = { app: 'matrix', options: { registrationOpen: 'yes' } };
    expect(validationFields(() => previewConfiguration(request([forgejo], [bad])))).toEqual([
      'to[0].options.registrationOpen',
    ]);
    expect(validationFields(() => previewConfiguration(request([forgejo, bad], [forgejo])))).toEqual([
      'from[1].options.registrationOpen',
    ]);
  });

  it('refuses a change that leaves the tenant no apps, as a deploy would', () => {
    expect(validationFields(() => previewConfiguration(request([forgejo], [])))).toEqual(['to']);
  });
});

describe('parseConfigurationPreviewRequest', () => {
  it('answers a well-formed request as sent', () => {
    const body = request([], [forgejo], { provider: 'digitalocean' });
    expect(parseConfigurationPreviewRequest(body)).toEqual(body);
  });

  it('names each bad field', () => {
    const parse = (body: unknown) => () => parseConfigurationPreviewRequest(body);
    expect(
      validationFields(
        parse({ tenantId: '', domain: 'localhost', provider: 'aws', from: {}, to: 'forgejo' }),
      ),
    ).toEqual(['tenantId', 'domain', 'provider', 'from', 'to']);
    expect(validationFields(parse(undefined))).toEqual(['tenantId', 'domain', 'provider', 'from', 'to']);
    expect(validationFields(parse({ ...request([], [forgejo]), domain: 42 }))).toEqual(['domain']);
  });
});
