import { readFileSync } from 'node:fs';
import { CLK_TCK } from './machine.ts';

/**
 * CPU seconds (user + system, every thread) a process has used, from /proc/<pid>/stat. The resolution
 * is one tick (10 ms), so callers measure windows of seconds and divide by thousands of requests.
 */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces or parentheses: fields are counted after its last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return (utime + stime) / CLK_TCK;
}

/** Resident set size in bytes, from /proc/<pid>/statm (pages × page size). */
export function rssBytes(pid: number): number {
  const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
  return Number(statm[1]) * 4096;
}

/** The highest resident set size the process has had (VmHWM), in bytes, from /proc/<pid>/status. */
export function peakRssBytes(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}
