import { memoryInUse } from './memory-sampler';

describe('memoryInUse', () => {
  it('is MemTotal minus MemAvailable, in bytes', () => {
    const meminfo = 'MemTotal:       24000000 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\n';
    expect(memoryInUse(meminfo)).toBe(4_000_000 * 1024);
  });

  it('refuses a /proc/meminfo without MemAvailable', () => {
    expect(() => memoryInUse('MemTotal:       24000000 kB\n')).toThrow('MemAvailable');
  });
});
