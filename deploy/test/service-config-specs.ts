/**
 * The configuration specs of the five fedops services, read from their sources so the compose test
 * follows every rename. Services publish no library entry point, hence the relative imports.
 */
import type { ConfigSpec } from '@fedops/service-kit';
import { backupConfigSpec } from '../../services/backup/src/config/backup.config';
import { deployerConfigSpec } from '../../services/deployer/src/config/deployer.config';
import { dnsConfigSpec } from '../../services/dns/src/config/dns.config';
import { provisionerConfigSpec } from '../../services/provisioner/src/config/provisioner.config';
import { tenantApiConfigSpec } from '../../services/tenant-api/src/config/tenant-api.config';

export const FEDOPS_SERVICES = ['tenant-api', 'provisioner', 'deployer', 'dns', 'backup'] as const;
export type FedopsService = (typeof FEDOPS_SERVICES)[number];

export const SERVICE_CONFIG_SPECS: Record<FedopsService, ConfigSpec> = {
  'tenant-api': tenantApiConfigSpec,
  provisioner: provisionerConfigSpec,
  deployer: deployerConfigSpec,
  dns: dnsConfigSpec,
  backup: backupConfigSpec,
};

/** Environment variables a spec cannot do without (no default). */
export function requiredVariables(spec: ConfigSpec): string[] {
  return Object.values(spec)
    .filter((v) => !('default' in v) || v.default === undefined)
    .map((v) => v.env);
}
