import { readFile } from 'node:fs/promises';

/** The host's memory in use, from /proc/meminfo: MemTotal - MemAvailable (what the kernel cannot reclaim), bytes. */
export function memoryInUse(meminfo: string): number {
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(meminfo);
    if (match?.[1] === undefined) throw new Error(`/proc/meminfo has no ${name}`);
    return Number(match[1]) * 1024;
  };
  return field('MemTotal') - field('MemAvailable');
}

export interface MemoryUse {
  /** In use when sampling started. */
  beforeBytes: number;
  /** The most in use at any sample. */
  peakBytes: number;
  totalBytes: number;
  samples: number;
}

/** Samples the host's memory in use every `intervalMs` until stopped: the peak of a round of tenants. */
export class MemorySampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly use: MemoryUse = { beforeBytes: 0, peakBytes: 0, totalBytes: 0, samples: 0 };

  static async start(intervalMs = 1000): Promise<MemorySampler> {
    const sampler = new MemorySampler();
    await sampler.sample();
    sampler.use.beforeBytes = sampler.use.peakBytes;
    sampler.timer = setInterval(() => void sampler.sample(), intervalMs);
    return sampler;
  }

  async stop(): Promise<MemoryUse> {
    clearInterval(this.timer);
    await this.sample();
    return { ...this.use };
  }

  private async sample(): Promise<void> {
    const meminfo = await readFile('/proc/meminfo', 'utf8');
    const total = /^MemTotal:\s+(\d+) kB$/m.exec(meminfo);
    this.use.totalBytes = Number(total?.[1] ?? 0) * 1024;
    this.use.peakBytes = Math.max(this.use.peakBytes, memoryInUse(meminfo));
    this.use.samples += 1;
  }
}

export const gib = (bytes: number): string => (bytes / 2 ** 30).toFixed(1);
