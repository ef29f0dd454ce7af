# What this machine is (hetzner): boot loader and file systems of its image.
# Rendered by fedops. Do not edit.
{ config, lib, pkgs, modulesPath, ... }:
{
  imports = [
    (modulesPath + "/virtualisation/hcloud-config.nix")
  ];
}
