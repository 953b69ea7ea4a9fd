import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineFacts {
  cpu_model: string;
  nproc: number;
  memory_gb: number;
  node: string;
  platform: string;
  kernel: string;
  clk_tck: number;
}

/** What the figures ran on: they mean little without it (a 2-core box shares CPU between every process). */
export function machineFacts(): MachineFacts {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpu = line.split(':')[1]!.trim();
  } catch {
    // Not Linux: os.cpus() already gave a name.
  }
  return {
    cpu_model: cpu,
    nproc: os.availableParallelism(),
    memory_gb: Math.round(os.totalmem() / 1e8) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    clk_tck: CLK_TCK,
  };
}

/**
 * USER_HZ: the unit of utime/stime in /proc/<pid>/stat. It is 100 on every Linux the kernel ABI allows
 * userspace to see (the kernel converts to it), so it is a constant rather than a `getconf` call.
 */
export const CLK_TCK = 100;
