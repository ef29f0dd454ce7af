import type { ResourceProviderKind } from './machine';
import type { AppSelection } from './tenant';

/**
 * A dry run of a change to a tenant's apps: the deployer renders the NixOS configuration of the apps
 * before and after the change (the same renderer a deploy uses, nothing sent to any machine) and
 * answers the difference, file by file. tenant-api asks; only the deployer answers.
 */
export const CONFIGURATION_PREVIEW_SUBJECT = 'rpc.fedops.deployer.configuration.preview';

export interface ConfigurationPreviewRequest {
  tenantId: string;
  domain: string;
  /** The kind of the tenant's provider, which chooses the machine profile of both renders. */
  provider: ResourceProviderKind;
  /** The apps as they are (empty for a tenant never deployed). */
  from: AppSelection[];
  /** The apps as the change would leave them. */
  to: AppSelection[];
}

export interface ConfigurationFileChange {
  /** Relative to the flake's directory (`apps/matrix.nix`). */
  path: string;
  change: 'added' | 'removed' | 'changed';
  /** A unified diff of the file (`--- a/<path>`, `+++ b/<path>`, hunks with 3 lines of context). */
  diff: string;
}

/** The answer: the files that differ, sorted by path (none when the change renders the same). */
export interface ConfigurationPreview {
  files: ConfigurationFileChange[];
}
