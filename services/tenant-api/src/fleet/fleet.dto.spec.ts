import { FedopsError } from '@fedops/domain';
import { parseMachineCleanupRequest, toCleanupResultView, toReconcileReportView } from './fleet.dto';

function fieldsOf(body: unknown): Array<{ field: string; message: string }> {
  try {
    parseMachineCleanupRequest(body);
  } catch (err) {
    if (err instanceof FedopsError) return err.details.fields ?? [];
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('parseMachineCleanupRequest', () => {
  it('takes dryRun true or false', () => {
    expect(parseMachineCleanupRequest({ dryRun: true })).toEqual({ dryRun: true });
    expect(parseMachineCleanupRequest({ dryRun: false })).toEqual({ dryRun: false });
  });

  it('requires dryRun as a boolean: deleting is never the default', () => {
    const required = [
      {
        field: 'dryRun',
        message: 'is required: true to list the orphans that would be deleted, false to delete them',
      },
    ];
    expect(fieldsOf({})).toEqual(required);
    expect(fieldsOf({ dryRun: 'false' })).toEqual(required);
    expect(fieldsOf({ dryRun: 0 })).toEqual(required);
    expect(fieldsOf({ dryRun: null })).toEqual(required);
  });

  it('names unknown fields and refuses what is not an object', () => {
    expect(fieldsOf({ dryRun: true, force: true })).toEqual([
      { field: 'force', message: 'is not a known field' },
    ]);
    for (const body of [null, [], 'yes', true, undefined]) {
      expect(fieldsOf(body)).toEqual([{ field: '(body)', message: 'must be a JSON object' }]);
    }
  });
});

describe('the views of the reconciler’s answers', () => {
  const finding = {
    kind: 'orphan' as const,
    providerId: 'p1',
    providerName: 'sandbox',
    externalId: 'fte-1',
    name: 'fedops-1',
    machineId: null,
    tenantId: null,
    firstSeenAt: '2026-12-01T10:00:00.000Z',
    lastSeenAt: '2026-12-01T10:05:00.000Z',
  };

  it('keep only the fields they name', () => {
    const report = toReconcileReportView({
      checkedAt: '2026-12-01T10:05:00.000Z',
      providers: [{ providerId: 'p1', name: 'sandbox', ok: true, machines: 1, token: 'x' } as never],
      findings: [{ ...finding, secret: 'y' } as never],
    });
    expect(report).toEqual({
      checkedAt: '2026-12-01T10:05:00.000Z',
      providers: [{ providerId: 'p1', name: 'sandbox', ok: true, machines: 1 }],
      findings: [finding],
    });
    expect(
      toCleanupResultView({
        dryRun: false,
        orphans: [finding],
        skipped: [
          { externalId: 'fte-2', providerName: 'sandbox', why: 'gone at the provider', x: 1 } as never,
        ],
      }),
    ).toEqual({
      dryRun: false,
      orphans: [finding],
      skipped: [{ externalId: 'fte-2', providerName: 'sandbox', why: 'gone at the provider' }],
    });
  });

  it("keeps a provider's error", () => {
    const report = toReconcileReportView({
      checkedAt: '2026-12-01T10:05:00.000Z',
      providers: [{ providerId: 'p1', name: 'b', ok: false, error: 'connect ECONNREFUSED', machines: 0 }],
      findings: [],
    });
    expect(report.providers[0]?.error).toBe('connect ECONNREFUSED');
  });
});
