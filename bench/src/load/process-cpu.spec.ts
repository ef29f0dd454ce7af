import { cpuDelta, parseProcStat } from './process-cpu';

describe('parseProcStat', () => {
  it('reads the parent and the CPU ticks, whatever the command name holds', () => {
    const line =
      '4242 (node (tenant) api) S 4200 4242 4200 0 -1 4194560 9 0 0 0 150 30 7 3 20 0 11 0 12345 0 0';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 4200, ownTicks: 180, reapedChildTicks: 10 });
  });

  it('refuses what is not a stat line', () => {
    expect(() => parseProcStat('nonsense')).toThrow(/stat/);
  });
});

describe('cpuDelta', () => {
  it('subtracts per process', () => {
    expect(cpuDelta({ a: 10, b: 5 }, { a: 25, b: 5, c: 3 })).toEqual({ a: 15, b: 0, c: 3 });
  });
});
