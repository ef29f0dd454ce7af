import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { validateAppSelections } from '@fedops/catalog';
import type {
  AppSelection,
  ConfigurationFileChange,
  ConfigurationPreview,
  ConfigurationPreviewRequest,
} from '@fedops/contracts';
import { FedopsError, normaliseDomain, validateDomain } from '@fedops/domain';
import { hostnameFor, renderFlake, type RenderedFile, type SmtpRelaySettings } from './flake-renderer';

/** Lines of unchanged text around each change in a file's diff (as `diff -u` and git show). */
const DIFF_CONTEXT_LINES = 3;

/**
 * A dry run of a change to a tenant's apps: renders `from` and `to` as a deploy would (same tenant,
 * domain, hostname, machine profile and mail relay) and answers the files that differ, sorted by
 * path, each with a unified diff. An empty `from` (a tenant never deployed) renders nothing, so
 * every file of `to` is added. Pure: nothing is written or sent. `smtp` must be the relay the
 * deploys get, or the preview differs from what a deploy renders.
 */
export function previewConfiguration(
  request: ConfigurationPreviewRequest,
  smtp?: SmtpRelaySettings,
): ConfigurationPreview {
  const fields = [
    ...validateDomain(request.domain, 'domain'),
    // No apps before is allowed (the first deploy); no apps after is not, as for a deploy.
    ...(Array.isArray(request.from) && request.from.length === 0
      ? []
      : validateAppSelections(request.from, 'from')),
    ...validateAppSelections(request.to, 'to'),
  ];
  if (fields.length > 0) throw FedopsError.validation(fields);

  const render = (apps: AppSelection[]): ReadonlyMap<string, string> =>
    new Map(
      (apps.length === 0
        ? []
        : renderFlake({
            tenantId: request.tenantId,
            domain: normaliseDomain(request.domain),
            hostname: hostnameFor(request.tenantId),
            apps,
            machineKind: request.provider,
            ...(smtp === undefined ? {} : { smtp }),
          }).files
      ).map((f: RenderedFile) => [f.path, f.content] as const),
    );
  const before = render(request.from);
  const after = render(request.to);

  const paths = [...new Set([...before.keys(), ...after.keys()])].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const files = paths.flatMap((path): ConfigurationFileChange[] => {
    const old = before.get(path);
    const next = after.get(path);
    if (old === next) return [];
    const change = old === undefined ? 'added' : next === undefined ? 'removed' : 'changed';
    return [{ path, change, diff: unifiedDiff(path, old ?? '', next ?? '') }];
  });
  return { files };
}

/** `--- a/<path>`, `+++ b/<path>` and the hunks; an added or removed file is diffed against nothing. */
function unifiedDiff(path: string, before: string, after: string): string {
  return createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, {
    context: DIFF_CONTEXT_LINES,
    headerOptions: FILE_HEADERS_ONLY,
  });
}
