import { TaskQueue, type DriftReport } from '@fedops/contracts';

import { checkDrift } from './index';
import {
  newOperationId,
  openTestNamespace,
  succeedingServices,
  withWorkers,
  type TestNamespace,
} from '../test/workflow-harness';

describe('checkDrift workflow', () => {
  let ns: TestNamespace;

  beforeAll(async () => {
    ns = await openTestNamespace('wf-drift');
  });
  afterAll(async () => {
    await ns?.close();
  });

  it("hands the deployer's findings to tenant-api as they are, and changes nothing else", async () => {
    const report: DriftReport = {
      checkedAt: '2026-12-01T10:00:00.000Z',
      inSync: ['t-in-sync'],
      drifted: [
        {
          tenantId: 't-drifted',
          machineId: 'm-1',
          expected: { generation: 2, configHash: 'abc' },
          found: { generation: 1, configHash: 'abc' },
        },
      ],
      unreachable: [{ tenantId: 't-gone', machineId: 'm-2', error: 'connection refused' }],
    };
    const services = succeedingServices();
    services.deployer.findDrift = async () => report;
    await withWorkers(ns, services, async (run) => {
      const result = await ns.client.workflow.execute(checkDrift, {
        taskQueue: TaskQueue.workflows,
        workflowId: newOperationId('drift'),
      });
      expect(result).toEqual(report);
      expect(run.names()).toEqual(['deployer.findDrift', 'tenantApi.recordDrift']);
      expect(run.inputsOf('recordDrift')).toEqual([report]);
    });
  });
});
