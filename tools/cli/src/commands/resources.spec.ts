import { renderTable } from '../table';
import { columnsFor } from './resources';

describe('columns for resources whose fields vary', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');

  it('shows the usual fields that are present, times relative to now', () => {
    const items = [
      { id: 'b1', status: 'done', createdAt: '2026-12-01T09:00:00Z', links: { self: '/x' } },
      { id: 'b2', status: 'running', size: 1024 },
    ];
    const table = renderTable(
      columnsFor(items, ['id', 'status', 'size', 'createdAt', 'finishedAt'], now),
      items,
    );
    expect(table.split('\n')).toEqual([
      'ID  STATUS   SIZE  CREATED AT',
      'b1  done     -     1h ago',
      'b2  running  1024  -',
    ]);
  });

  it('falls back to the first item’s own fields when none of the usual ones are there', () => {
    const items = [{ region: 'fsn1', kind: 'hetzner', links: {} }];
    expect(renderTable(columnsFor(items, ['id'], now), items)).toBe('REGION  KIND\nfsn1    hetzner');
  });
});
