import { randomBytes } from 'node:crypto';

let counter = 0;

/** A unique tenant domain per call, so tests never collide. */
export function uniqueDomain(prefix = 'tenant'): string {
  counter += 1;
  return `${prefix}-${counter}-${randomBytes(3).toString('hex')}.example`;
}

/** A POST /v1/tenants body; override any field. */
export function newTenant(
  overrides: {
    domain?: string;
    apps?: Array<string | { app: string; options?: Record<string, unknown> }>;
    org?: string;
  } = {},
): Record<string, unknown> {
  const apps = (overrides.apps ?? ['mastodon']).map((a) =>
    typeof a === 'string' ? { app: a, options: {} } : { options: {}, ...a },
  );
  return {
    domain: overrides.domain ?? uniqueDomain(),
    apps,
    ...(overrides.org !== undefined ? { org: overrides.org } : {}),
  };
}
