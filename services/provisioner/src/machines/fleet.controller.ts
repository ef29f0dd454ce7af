import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  FLEET_MACHINES_LIST_SUBJECT,
  MACHINES_CLEANUP_SUBJECT,
  MACHINES_RECONCILIATION_SUBJECT,
  type MachineCleanupResult,
  type MachineRef,
  type ReconcileReport,
  type RpcReply,
} from '@fedops/contracts';
import { FedopsError } from '@fedops/domain';
import { JsonLogger, rpcReply } from '@fedops/service-kit';
import { deadlineCallContext } from '../drivers/call-context';
import { MachineReconciler } from '../reconciliation/machine-reconciler.service';
import { MachineService } from './machine.service';

/** NATS request/reply: the machine inventory and the reconciler's findings, for ops staff through tenant-api. */
@Controller()
export class FleetController {
  private readonly log;

  constructor(
    private readonly machines: MachineService,
    private readonly reconciler: MachineReconciler,
    logger: JsonLogger,
  ) {
    this.log = logger.child('fleet-rpc');
  }

  @MessagePattern(FLEET_MACHINES_LIST_SUBJECT)
  list(): Promise<MachineRef[]> {
    return this.machines.list();
  }

  @MessagePattern(MACHINES_RECONCILIATION_SUBJECT)
  reconciliation(): Promise<RpcReply<ReconcileReport | null>> {
    return rpcReply('provisioner', this.log, 'read the reconciliation', () => this.reconciler.lastReport());
  }

  @MessagePattern(MACHINES_CLEANUP_SUBJECT)
  cleanup(@Payload() body: unknown): Promise<RpcReply<MachineCleanupResult>> {
    return rpcReply('provisioner', this.log, 'clean up orphans', () => {
      const dryRun = (body as { dryRun?: unknown } | null)?.dryRun;
      if (typeof dryRun !== 'boolean') {
        throw FedopsError.validation([
          { field: 'dryRun', message: 'is required: true to list, false to delete' },
        ]);
      }
      return this.reconciler.cleanup(dryRun, deadlineCallContext(120_000));
    });
  }
}
