import { age, displayWidth, duration, relative, renderFields, renderTable } from './table';

describe('renderTable', () => {
  const columns = [
    { header: 'ID', value: (r: { id: string; domain: string; status: string }) => r.id },
    { header: 'DOMAIN', value: (r: { id: string; domain: string; status: string }) => r.domain },
    { header: 'STATUS', value: (r: { id: string; domain: string; status: string }) => r.status },
  ];

  it('aligns columns two spaces apart, pads every column but the last, and has no trailing spaces', () => {
    const out = renderTable(columns, [
      { id: 'a1', domain: 'demo.example.net', status: 'ready' },
      { id: 'b22222', domain: 'x.example', status: 'provisioning' },
    ]);
    expect(out.split('\n')).toEqual([
      'ID      DOMAIN            STATUS',
      'a1      demo.example.net  ready',
      'b22222  x.example         provisioning',
    ]);
  });

  it('is just the heading without rows', () => {
    expect(renderTable(columns, [])).toBe('ID  DOMAIN  STATUS');
  });

  it('keeps a cell on one line and aligns wide characters by the columns they take', () => {
    const out = renderTable(columns, [
      { id: '日本', domain: 'a\nb', status: 'x' },
      { id: 'abcd', domain: 'c', status: 'y' },
    ]);
    expect(out.split('\n')).toEqual(['ID    DOMAIN  STATUS', '日本  a b     x', 'abcd  c       y']);
  });

  it('ends the line at the last column even when it is empty', () => {
    const out = renderTable(
      [
        { header: 'A', value: (r: string) => r },
        { header: 'ERROR', value: () => '' },
      ],
      ['x'],
    );
    expect(out.split('\n')).toEqual(['A  ERROR', 'x']);
  });
});

describe('renderFields', () => {
  it('aligns labels, leaves out undefined values and indents continuation lines', () => {
    expect(
      renderFields([
        ['ID', 't1'],
        ['Error', undefined],
        ['Apps', 'mastodon  https://social.x/\ngotosocial  https://gts.x/'],
      ]),
    ).toBe('ID    t1\nApps  mastodon  https://social.x/\n      gotosocial  https://gts.x/');
  });
});

describe('display helpers', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');

  it('counts terminal columns: wide characters two, combining marks none', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
  });

  it('says how long ago and how far ahead in short units', () => {
    expect(age('2026-12-01T09:59:18Z', now)).toBe('42s');
    expect(age('2026-12-01T07:00:00Z', now)).toBe('3h');
    expect(age('2026-11-28T10:00:00Z', now)).toBe('3d');
    expect(age(undefined, now)).toBe('-');
    expect(age('not a time', now)).toBe('-');
    expect(relative('2026-12-31T10:00:00Z', now)).toBe('in 30d');
    expect(relative('2026-12-01T09:55:00Z', now)).toBe('5m ago');
  });

  it('writes durations for people', () => {
    expect(duration(850)).toBe('850 ms');
    expect(duration(14_200)).toBe('14 s');
    expect(duration(185_000)).toBe('3 min 5 s');
    expect(duration(120_000)).toBe('2 min');
  });
});
