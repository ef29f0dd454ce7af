import {
  LabelSelectorError,
  labelKeyProblem,
  labelsProblems,
  matchesLabelSelector,
  parseLabelSelector,
} from './label-selector';

describe('Hetzner label selectors', () => {
  const labels = { env: 'prod', tier: 'web', 'fedops-machine': '1b2c', 'example.com/team': 'ops', empty: '' };
  const matches = (selector: string, on: Record<string, string> = labels): boolean =>
    matchesLabelSelector(on, parseLabelSelector(selector));

  it('parses every form of term', () => {
    expect(parseLabelSelector('a==1, b=2 ,c!=3,d,!e, f in (x, y),g notin (z)')).toEqual([
      { op: 'equals', key: 'a', value: '1' },
      { op: 'equals', key: 'b', value: '2' },
      { op: 'not-equals', key: 'c', value: '3' },
      { op: 'exists', key: 'd' },
      { op: 'absent', key: 'e' },
      { op: 'in', key: 'f', values: ['x', 'y'] },
      { op: 'not-in', key: 'g', values: ['z'] },
    ]);
    expect(parseLabelSelector('')).toEqual([]);
  });

  it('matches equality, inequality and presence', () => {
    expect(matches('env==prod')).toBe(true);
    expect(matches('env=prod')).toBe(true);
    expect(matches('env==dev')).toBe(false);
    expect(matches('env!=dev')).toBe(true);
    expect(matches('missing!=x')).toBe(true);
    expect(matches('tier')).toBe(true);
    expect(matches('missing')).toBe(false);
    expect(matches('!missing')).toBe(true);
    expect(matches('!env')).toBe(false);
    expect(matches('empty==')).toBe(true);
  });

  it('matches set terms, with keys absent counting as "not in"', () => {
    expect(matches('tier in (web,db)')).toBe(true);
    expect(matches('tier in (db)')).toBe(false);
    expect(matches('tier notin (db)')).toBe(true);
    expect(matches('missing notin (db)')).toBe(true);
    expect(matches('missing in (db)')).toBe(false);
  });

  it('ANDs comma-separated terms, commas inside parentheses included', () => {
    expect(matches('env==prod,tier in (web,db),fedops-machine==1b2c')).toBe(true);
    expect(matches('env==prod,tier in (db,cache)')).toBe(false);
    expect(matches('example.com/team==ops,!gone')).toBe(true);
  });

  it('refuses what it cannot read', () => {
    for (const bad of ['env===prod', ',', 'a in (x', 'a) ', '-a', 'a==b c', 'a in x']) {
      expect(() => parseLabelSelector(bad)).toThrow(LabelSelectorError);
    }
  });

  it('validates label keys and values as the API does', () => {
    expect(labelKeyProblem('fedops-machine')).toBeUndefined();
    expect(labelKeyProblem('example.com/app')).toBeUndefined();
    expect(labelKeyProblem('hetzner.cloud/x')).toMatch(/reserved/);
    expect(labelKeyProblem('-bad')).toMatch(/invalid/);
    expect(labelKeyProblem('a'.repeat(64))).toMatch(/longer than 63/);
    expect(labelsProblems({ ok: 'yes', 'bad key': 'x', v: 'spaces not ok' })).toHaveLength(2);
    expect(labelsProblems({ n: 1 })).toEqual(["label value of 'n' must be a string"]);
    expect(labelsProblems([])).toEqual(['labels must be an object']);
  });
});
