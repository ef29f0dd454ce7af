import type { ReconcileReport } from '@fedops/contracts';
import { serviceActivities } from './activity-options';

/**
 * Run by the Temporal Schedule `fedops-machine-reconciler` (the provisioner creates it): compares the
 * machine inventory with every provider. Findings are recorded and announced by the activity; nothing
 * is deleted here (cleanup is asked for by ops, after a dry run).
 */
export async function reconcileMachines(): Promise<ReconcileReport> {
  const { provisioner } = serviceActivities();
  return provisioner.reconcileMachines({});
}
