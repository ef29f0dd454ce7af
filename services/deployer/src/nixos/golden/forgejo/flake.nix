# Rendered by fedops. Do not edit: the next deployment replaces this file (and flake.lock).
{
  description = "fedops configuration of tenant tenant-1";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.11";

  outputs = { self, nixpkgs }: {
    nixosConfigurations.fedops-tenant-1 = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        ./machine.nix
        ./base.nix
        ./apps/forgejo.nix
      ];
    };
  };
}
