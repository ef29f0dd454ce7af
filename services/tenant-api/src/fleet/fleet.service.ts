import { Injectable } from '@nestjs/common';
import {
  FLEET_MACHINES_LIST_SUBJECT,
  MACHINES_CLEANUP_SUBJECT,
  MACHINES_RECONCILIATION_SUBJECT,
  type MachineCleanupRequest,
  type MachineCleanupResult,
  type MachineRef,
  type ReconcileReport,
} from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';
import type { Principal } from '../auth/principal';
import { CLEANUP_TIMEOUT_MS, ProvisionerRpc } from '../provisioner-rpc/provisioner-rpc';
import { toCleanupResultView, toReconcileReportView, type MachineListView } from './fleet.dto';

/**
 * The fleet, which the provisioner owns: its machine inventory, what the machine reconciler found
 * comparing it with every provider, and the deletion of orphans when ops ask for it.
 */
@Injectable()
export class FleetService {
  private readonly log;

  constructor(
    private readonly rpc: ProvisionerRpc,
    logger: JsonLogger,
  ) {
    this.log = logger.child('fleet');
  }

  /** Both questions at once; either failing is the answer's failure (a 502), as the list alone was. */
  async list(): Promise<MachineListView> {
    const [machines, reconciliation] = await Promise.all([
      // The provisioner answers this subject with the bare list (not an RpcReply).
      this.rpc.send<unknown>(FLEET_MACHINES_LIST_SUBJECT, {}),
      this.rpc.call<ReconcileReport | null>(MACHINES_RECONCILIATION_SUBJECT, {}),
    ]);
    if (!Array.isArray(machines)) {
      throw new FedopsError(
        FedopsErrorCode.ProviderFailed,
        'The provisioner answered the machine list with something that is not a list',
      );
    }
    return {
      items: machines as MachineRef[],
      reconciliation: reconciliation === null ? null : toReconcileReportView(reconciliation),
    };
  }

  /**
   * Deletes the orphans the reconciler found (each confirmed at its provider first), or with a dry run
   * lists those it would delete. The provisioner allows itself 120 s; this waits a little longer.
   */
  async cleanup(principal: Principal, request: MachineCleanupRequest): Promise<MachineCleanupResult> {
    const result = toCleanupResultView(
      await this.rpc.call<MachineCleanupResult>(MACHINES_CLEANUP_SUBJECT, request, CLEANUP_TIMEOUT_MS),
    );
    this.log.info(result.dryRun ? 'orphan cleanup dry run' : 'orphans cleaned up', {
      orphans: result.orphans.map((o) => `${o.providerName}/${o.externalId}`),
      skipped: result.skipped.length,
      by: principal.subject,
    });
    return result;
  }
}
