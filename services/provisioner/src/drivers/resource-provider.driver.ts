import type { MachineRef, ResourceProviderKind } from '@fedops/contracts';

/** A machine as a resource provider reports it: a MachineRef before the inventory gives it an id. */
export type ProvidedMachine = Omit<MachineRef, 'machineId' | 'tenantId' | 'provider'> & {
  /** The provider's own id for it (VM id, droplet id, namespace name). */
  providerId: string;
};

/**
 * One implementation per kind of resource provider (sandbox now; Proxmox VE, Hetzner Cloud,
 * DigitalOcean next). Both calls are idempotent, keyed by the tenant label the machine carries.
 */
export interface ResourceProviderDriver {
  readonly kind: ResourceProviderKind;
  /** Creates the tenant's machine or returns the existing one. */
  ensureMachine(tenantId: string): Promise<ProvidedMachine>;
  /** Removes the tenant's machine; false when there was none. */
  destroyMachine(tenantId: string): Promise<boolean>;
}
