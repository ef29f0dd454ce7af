import { FedopsError } from '@fedops/domain';
import {
  encodeSshKeys,
  labelsFromDescription,
  labelsToTags,
  mergeTags,
  ownerDescription,
  tagsCarry,
  tagsToLabels,
} from './proxmox-labels';

const LABELS = {
  'fedops-machine': '6f1c2b3a-0000-4000-8000-000000000001',
  'fedops-tenant': '7a2d3c4b-0000-4000-8000-000000000002',
  'fedops-platform': 'main',
};
/** Proxmox's tag characters (`$PVE_TAG_RE`). */
const PVE_TAG = /^[a-z0-9_][a-z0-9_\-+.]*$/i;
/** The `urlencoded` format of the `sshkeys` option. */
const PVE_URLENCODED = /^[-%a-zA-Z0-9_.!~*'()]*$/;

describe('Proxmox tag and description labels', () => {
  it('encodes each label as one valid Proxmox tag key.value', () => {
    const tags = labelsToTags(LABELS);
    expect(tags).toEqual([
      'fedops-machine.6f1c2b3a-0000-4000-8000-000000000001',
      'fedops-tenant.7a2d3c4b-0000-4000-8000-000000000002',
      'fedops-platform.main',
    ]);
    for (const tag of tags) expect(tag).toMatch(PVE_TAG);
  });

  it('refuses labels a tag cannot carry', () => {
    expect(() => labelsToTags({ 'Fedops Machine': 'x' })).toThrow(FedopsError);
    expect(() => labelsToTags({ 'fedops-machine': 'a.b' })).toThrow(FedopsError);
  });

  it('reads labels back from tags as Proxmox returns them, ignoring tags that are not labels', () => {
    const tags = `${labelsToTags(LABELS).sort().join(';')};production;web`;
    expect(tagsToLabels(tags)).toEqual(LABELS);
    expect(tagsToLabels(undefined)).toEqual({});
    expect(tagsCarry(tags, { 'fedops-platform': 'main' })).toBe(true);
    expect(tagsCarry(tags, { 'fedops-platform': 'other' })).toBe(false);
  });

  it('merges labels into existing tags: foreign tags kept, label values replaced, sorted like Proxmox', () => {
    expect(mergeTags('web;fedops-platform.old', { 'fedops-platform': 'main' })).toBe(
      'fedops-platform.main;web',
    );
  });

  it('writes the labels into the description and reads them back', () => {
    const description = ownerDescription(LABELS);
    expect(labelsFromDescription(description)).toEqual(LABELS);
    expect(labelsFromDescription(`Notes by ops\n\n${description}\n`)).toEqual(LABELS);
    expect(labelsFromDescription('fedops-machine: 6f1c')).toEqual({});
    expect(labelsFromDescription(undefined)).toEqual({});
  });

  it('URL-encodes sshkeys in the alphabet Proxmox accepts, one key per line', () => {
    const keys = [
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB+/x= ops@example.org',
      'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== ci',
    ];
    const encoded = encodeSshKeys(keys);
    expect(encoded).toMatch(PVE_URLENCODED);
    expect(encoded).not.toMatch(/[+= @/]/);
    expect(decodeURIComponent(encoded)).toBe(keys.join('\n'));
  });
});
