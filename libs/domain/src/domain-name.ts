import type { FieldError } from './errors';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** Lower-cases and strips a trailing dot; returns the canonical form used for storage and DNS. */
export function normaliseDomain(input: string): string {
  return input.trim().toLowerCase().replace(/\.$/, '');
}

/** Checks a registrable DNS name (at least two labels, letters/digits/hyphens, TLD not numeric). */
export function validateDomain(domain: string, field = 'domain'): FieldError[] {
  const name = normaliseDomain(domain);
  if (name.length === 0) return [{ field, message: 'must not be empty' }];
  if (name.length > 253) return [{ field, message: 'must be at most 253 characters' }];
  const labels = name.split('.');
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad !== undefined) {
    return [
      {
        field,
        message: `label "${bad}" is not a valid DNS label (letters, digits and inner hyphens, 1-63 characters)`,
      },
    ];
  }
  if (labels.length < 2) return [{ field, message: 'must have at least two labels, like example.org' }];
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) {
    return [{ field, message: 'top-level label must not be numeric' }];
  }
  return [];
}
