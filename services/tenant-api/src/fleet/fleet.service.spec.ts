import type { ClientProxy } from '@nestjs/microservices';
import { of, type Observable } from 'rxjs';
import {
  FLEET_MACHINES_LIST_SUBJECT,
  MACHINES_CLEANUP_SUBJECT,
  MACHINES_RECONCILIATION_SUBJECT,
} from '@fedops/contracts';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { JsonLogger } from '@fedops/service-kit';
import { ProvisionerRpc } from '../provisioner-rpc/provisioner-rpc';
import { FleetService } from './fleet.service';

/** A provisioner answering each subject from `answers` (and recording what was sent). */
function fleetWith(answers: Record<string, () => Observable<unknown>>): {
  fleet: FleetService;
  sent: unknown[][];
} {
  const sent: unknown[][] = [];
  const client = {
    send: (subject: string, payload: unknown) => {
      sent.push([subject, payload]);
      const answer = answers[subject];
      if (answer === undefined) throw new Error(`unexpected subject ${subject}`);
      return answer();
    },
  } as unknown as ClientProxy;
  return { fleet: new FleetService(new ProvisionerRpc(client), new JsonLogger('tenant-api', 'error')), sent };
}

const report = {
  checkedAt: '2026-12-01T10:05:00.000Z',
  providers: [{ providerId: 'p1', name: 'sandbox', ok: true, machines: 0 }],
  findings: [],
};

describe('FleetService', () => {
  it('answers the inventory with the last reconciliation, or null before the first', async () => {
    const machines = [{ machineId: 'm1' }];
    const ran = fleetWith({
      [FLEET_MACHINES_LIST_SUBJECT]: () => of(machines),
      [MACHINES_RECONCILIATION_SUBJECT]: () => of({ ok: true, value: report }),
    });
    await expect(ran.fleet.list()).resolves.toEqual({ items: machines, reconciliation: report });
    const never = fleetWith({
      [FLEET_MACHINES_LIST_SUBJECT]: () => of([]),
      [MACHINES_RECONCILIATION_SUBJECT]: () => of({ ok: true, value: null }),
    });
    await expect(never.fleet.list()).resolves.toEqual({ items: [], reconciliation: null });
  });

  it('fails as a whole (502) when the reconciliation cannot be read', async () => {
    const { fleet } = fleetWith({
      [FLEET_MACHINES_LIST_SUBJECT]: () => of([]),
      [MACHINES_RECONCILIATION_SUBJECT]: () =>
        of({
          ok: false,
          error: { code: 'INTERNAL', message: 'The provisioner could not read the reconciliation' },
        }),
    });
    const err: unknown = await fleet.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FedopsError);
    expect((err as FedopsError).code).toBe(FedopsErrorCode.Internal);
    const bare = fleetWith({
      [FLEET_MACHINES_LIST_SUBJECT]: () => of({ not: 'a list' }),
      [MACHINES_RECONCILIATION_SUBJECT]: () => of({ ok: true, value: null }),
    });
    await expect(bare.fleet.list()).rejects.toMatchObject({ code: FedopsErrorCode.ProviderFailed });
  });

  it("forwards a cleanup and answers the provisioner's result", async () => {
    const result = { dryRun: true, orphans: [], skipped: [] };
    const { fleet, sent } = fleetWith({ [MACHINES_CLEANUP_SUBJECT]: () => of({ ok: true, value: result }) });
    await expect(fleet.cleanup({ subject: 'fedops-ops', roles: ['ops'] }, { dryRun: true })).resolves.toEqual(
      result,
    );
    expect(sent).toEqual([[MACHINES_CLEANUP_SUBJECT, { dryRun: true }]]);
  });
});
