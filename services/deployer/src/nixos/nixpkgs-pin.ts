/**
 * The nixpkgs every rendered configuration is built from, one place. The revision is part of the
 * rendered `flake.lock`, so it is part of every configuration hash: bumping it redeploys everyone.
 *
 * Revision 2680ad0cfc17b68f4b56f5a7788c78040563105c is a nixpkgs commit whose `lib/.version` reads
 * 26.11 (the NixOS release supported on 2026-12-01; 24.11 and 25.x are end of life). The lock names
 * the revision but no `narHash`: that needs the source tarball, which cannot be fetched here. A
 * GitHub input is locked by its revision alone, and Nix records the hash on its first fetch.
 */
export const NIXPKGS_PIN = {
  release: '26.11',
  branch: 'nixos-26.11',
  owner: 'NixOS',
  repo: 'nixpkgs',
  rev: '2680ad0cfc17b68f4b56f5a7788c78040563105c',
} as const;

export const NIXPKGS_URL = `github:${NIXPKGS_PIN.owner}/${NIXPKGS_PIN.repo}/${NIXPKGS_PIN.branch}`;

/** `flake.lock` (version 7) pinning the flake's only input, nixpkgs, to NIXPKGS_PIN. */
export function renderFlakeLock(): string {
  const lock = {
    nodes: {
      nixpkgs: {
        locked: { owner: NIXPKGS_PIN.owner, repo: NIXPKGS_PIN.repo, rev: NIXPKGS_PIN.rev, type: 'github' },
        original: {
          owner: NIXPKGS_PIN.owner,
          ref: NIXPKGS_PIN.branch,
          repo: NIXPKGS_PIN.repo,
          type: 'github',
        },
      },
      root: { inputs: { nixpkgs: 'nixpkgs' } },
    },
    root: 'root',
    version: 7,
  };
  return JSON.stringify(lock, null, 2) + '\n';
}
