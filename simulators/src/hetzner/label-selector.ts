/**
 * Hetzner Cloud labels and label selectors (docs.hetzner.cloud, "Labels" and "Label Selector"):
 *
 * - keys `[prefix/]name`: name ≤ 63 characters, alphanumeric at both ends with `-`, `_`, `.` inside;
 *   prefix a DNS subdomain (≤ 253); the `hetzner.cloud/` prefix is reserved;
 * - values ≤ 63 characters, empty or of the same form as a key's name;
 * - selectors: `k==v` or `k=v` (equal), `k!=v` (not equal, or no such key), `k` (present), `!k`
 *   (absent), `k in (a,b)`, `k notin (a,b)` (not one of them, or no such key); terms joined by
 *   commas are ANDed. Whitespace around operators and terms is ignored.
 */

export type LabelRequirement =
  | { op: 'equals'; key: string; value: string }
  | { op: 'not-equals'; key: string; value: string }
  | { op: 'exists'; key: string }
  | { op: 'absent'; key: string }
  | { op: 'in'; key: string; values: string[] }
  | { op: 'not-in'; key: string; values: string[] };

export class LabelSelectorError extends Error {}

const NAME = '[A-Za-z0-9](?:[-_.A-Za-z0-9]*[A-Za-z0-9])?';
const PREFIX = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*';
const KEY = `(?:${PREFIX}/)?${NAME}`;
const VALUE = `(?:${NAME})?`;

const KEY_RE = new RegExp(`^${KEY}$`);
const VALUE_RE = new RegExp(`^${VALUE}$`);
const ABSENT_RE = new RegExp(`^!\\s*(${KEY})$`);
const SET_RE = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\((.*)\\)$`);
const COMPARE_RE = new RegExp(`^(${KEY})\\s*(==|!=|=)\\s*(${VALUE})$`);

/** Why a label key is not valid, or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  if (!KEY_RE.test(key)) return `label key '${key}' is invalid`;
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? '' : key.slice(0, slash);
  const name = key.slice(slash + 1);
  if (name.length > 63) return `label key '${key}' is longer than 63 characters`;
  if (prefix.length > 253) return `label key prefix of '${key}' is longer than 253 characters`;
  if (prefix === 'hetzner.cloud' || prefix.endsWith('.hetzner.cloud')) {
    return `label key prefix 'hetzner.cloud/' is reserved`;
  }
  return undefined;
}

/** Why a label value is not valid, or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return `label value '${value}' is longer than 63 characters`;
  if (!VALUE_RE.test(value)) return `label value '${value}' is invalid`;
  return undefined;
}

/** The problems of a `labels` input (an object of string values), empty when it is valid. */
export function labelsProblems(labels: unknown): string[] {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    return ['labels must be an object'];
  }
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) problems.push(keyProblem);
    if (typeof value !== 'string') problems.push(`label value of '${key}' must be a string`);
    else {
      const valueProblem = labelValueProblem(value);
      if (valueProblem) problems.push(valueProblem);
    }
  }
  return problems;
}

/** Splits on commas outside parentheses (`a in (x,y),b` is two terms). */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (depth < 0) throw new LabelSelectorError(`unbalanced parenthesis in label selector '${selector}'`);
    if (char === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += char;
  }
  if (depth !== 0) throw new LabelSelectorError(`unbalanced parenthesis in label selector '${selector}'`);
  terms.push(current);
  return terms.map((term) => term.trim());
}

/** Parses a selector; throws LabelSelectorError naming the term it could not read. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  return splitTerms(selector).map((term): LabelRequirement => {
    if (term === '') throw new LabelSelectorError(`empty term in label selector '${selector}'`);
    const absent = ABSENT_RE.exec(term);
    if (absent) return { op: 'absent', key: absent[1] ?? '' };
    const set = SET_RE.exec(term);
    if (set) {
      const values = (set[3] ?? '').split(',').map((v) => v.trim());
      const bad = values.find((v) => !VALUE_RE.test(v));
      if (bad !== undefined)
        throw new LabelSelectorError(`invalid value '${bad}' in label selector term '${term}'`);
      const key = set[1] ?? '';
      return set[2] === 'in' ? { op: 'in', key, values } : { op: 'not-in', key, values };
    }
    const compare = COMPARE_RE.exec(term);
    if (compare) {
      const key = compare[1] ?? '';
      const value = compare[3] ?? '';
      return compare[2] === '!=' ? { op: 'not-equals', key, value } : { op: 'equals', key, value };
    }
    if (KEY_RE.test(term)) return { op: 'exists', key: term };
    throw new LabelSelectorError(`invalid label selector term '${term}'`);
  });
}

export function matchesLabelSelector(
  labels: Record<string, string>,
  requirements: LabelRequirement[],
): boolean {
  return requirements.every((req) => {
    const has = Object.prototype.hasOwnProperty.call(labels, req.key);
    const value = labels[req.key];
    switch (req.op) {
      case 'equals':
        return has && value === req.value;
      case 'not-equals':
        return !has || value !== req.value;
      case 'exists':
        return has;
      case 'absent':
        return !has;
      case 'in':
        return has && req.values.includes(value ?? '');
      case 'not-in':
        return !has || !req.values.includes(value ?? '');
    }
  });
}
