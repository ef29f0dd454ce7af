import { createHash } from 'node:crypto';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';

/**
 * The entity tag of a versioned row (RFC 9110 section 8.8.3): a short hash of what it is and its
 * version, which every change raises. The hash keeps clients from reading the tag as a counter and
 * makes tags of different resources differ.
 *
 * It is a strong tag, not `W/"..."`: If-Match compares tags with the strong comparison (RFC 9110
 * section 13.1.1), under which a weak tag never matches, so a weak ETag would make every conditional
 * PATCH fail. It is strong honestly: the representation is rendered from the row alone, so one
 * version has one representation.
 */
export function entityTag(kind: string, id: string, version: number): string {
  const digest = createHash('sha256').update(`${kind}\u0000${id}\u0000${version}`).digest('base64url');
  return `"${digest.slice(0, 22)}"`;
}

/** `*`, or the entity tags of an If-Match / If-None-Match field value; `undefined` when malformed. */
export function parseEntityTags(value: string): '*' | string[] | undefined {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  const tags: string[] = [];
  // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text; list separated by commas.
  const element = /^\s*((?:W\/)?"[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)/;
  let rest = trimmed;
  while (rest.length > 0) {
    const match = element.exec(rest);
    if (match?.[1] === undefined) return undefined;
    tags.push(match[1]);
    rest = rest.slice(match[0].length);
  }
  return tags.length === 0 ? undefined : tags;
}

/** RFC 9110 section 8.8.3.2: equal, and neither weak. */
export function strongMatch(a: string, b: string): boolean {
  return !a.startsWith('W/') && !b.startsWith('W/') && a === b;
}

/**
 * A change that must name the version it was made against: without If-Match, 428 (RFC 6585
 * section 3, so a client cannot overwrite changes it never saw); with one that does not match the
 * current tag, 412 (RFC 9110 section 13.1.1). `*` matches any current representation.
 */
export function requireIfMatch(ifMatch: string | undefined, current: string, what: string): void {
  if (ifMatch === undefined || ifMatch.trim() === '') {
    throw new FedopsError(
      FedopsErrorCode.PreconditionRequired,
      `Changing ${what} requires If-Match with its ETag (from GET), so that changes made meanwhile are not overwritten`,
    );
  }
  const tags = parseEntityTags(ifMatch);
  if (tags === undefined) {
    throw FedopsError.validation([
      { field: 'If-Match', message: 'must be * or a list of entity tags such as "abc"' },
    ]);
  }
  if (tags === '*' || tags.some((t) => strongMatch(t, current))) return;
  throw new FedopsError(
    FedopsErrorCode.PreconditionFailed,
    `${capitalised(what)} changed since the version If-Match names (it is now ${current}); GET it again and reapply the change`,
    { extensions: { currentETag: current } },
  );
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
