/**
 * How owner labels live on a Proxmox VM, which has no labels:
 * - tags `<key>.<value>` (e.g. `fedops-machine.6f1c...`): Proxmox tags are `;`-separated tokens of
 *   `[a-z0-9_+.-]` (lower-cased by the server), label keys and values are lower-case letters, digits
 *   and `-`, so `.` separates them unambiguously. Tags show in `/cluster/resources`: listing by label
 *   is one call.
 * - the same labels in the VM's description, written by the clone itself. A clone cannot set tags;
 *   the description (and name) are there from the clone's first config write, so a create that lost
 *   track of its clone still recognises the VM before its tags are set.
 */
import { FedopsError } from '@fedops/domain';

const LABEL_KEY = /^[a-z0-9][a-z0-9-]*$/;
const LABEL_VALUE = /^[a-z0-9-]*$/;
const DESCRIPTION_MARKER = 'Managed by fedops; the lines below identify this machine, do not edit them.';

/** The tag carrying one label. */
export function labelTag(key: string, value: string): string {
  if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
    throw FedopsError.validation([
      { field: `labels.${key}`, message: 'label keys and values must be lower-case letters, digits and -' },
    ]);
  }
  return `${key}.${value}`;
}

export function labelsToTags(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([key, value]) => labelTag(key, value));
}

/** Tokens of a Proxmox `tags` value (`;`, `,` or spaces between them). */
export function splitTags(tags: string | undefined): string[] {
  return (tags ?? '').split(/[;,\s]+/).filter((tag) => tag.length > 0);
}

/** The labels among a VM's tags (tags without a `.` are someone else's). */
export function tagsToLabels(tags: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const tag of splitTags(tags)) {
    const dot = tag.indexOf('.');
    if (dot <= 0) continue;
    const key = tag.slice(0, dot);
    const value = tag.slice(dot + 1);
    if (LABEL_KEY.test(key) && LABEL_VALUE.test(value)) labels[key] = value;
  }
  return labels;
}

/** The VM's tags with these labels set: other tags kept, a label's old value replaced. */
export function mergeTags(existing: string | undefined, labels: Record<string, string>): string {
  const keep = splitTags(existing).filter((tag) => {
    const dot = tag.indexOf('.');
    return dot <= 0 || !(tag.slice(0, dot) in labels);
  });
  return [...new Set([...keep, ...labelsToTags(labels)])].sort().join(';');
}

/** Whether a VM's tags carry every one of these labels. */
export function tagsCarry(tags: string | undefined, labels: Record<string, string>): boolean {
  const present = new Set(splitTags(tags).map((tag) => tag.toLowerCase()));
  return Object.entries(labels).every(([key, value]) => present.has(labelTag(key, value)));
}

/** The description a clone is given: a human line, then one `key: value` line per label. */
export function ownerDescription(labels: Record<string, string>): string {
  const lines = Object.entries(labels).map(([key, value]) => `${labelTag(key, value).replace('.', ': ')}`);
  return [DESCRIPTION_MARKER, ...lines].join('\n');
}

/** The labels of a description written by `ownerDescription` (none when the marker is missing). */
export function labelsFromDescription(description: string | undefined): Record<string, string> {
  const lines = (description ?? '').split(/\r?\n/);
  const start = lines.findIndex((line) => line.trim() === DESCRIPTION_MARKER);
  if (start < 0) return {};
  const labels: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    const match = /^([a-z0-9][a-z0-9-]*): ([a-z0-9-]*)$/.exec(line.trim());
    if (!match || !match[1] || match[2] === undefined) break;
    labels[match[1]] = match[2];
  }
  return labels;
}

/**
 * The `sshkeys` option: key lines joined by newlines and URL-encoded (`encodeURIComponent`'s
 * alphabet is exactly what Proxmox accepts: `+`, `=`, `/`, space and `@` must be percent-encoded).
 * The client form-encodes it once more on the wire, as Proxmox expects.
 */
export function encodeSshKeys(lines: string[]): string {
  return encodeURIComponent(lines.map((line) => line.trim()).join('\n'));
}
