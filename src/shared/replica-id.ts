import { hostname } from 'node:os';

/** The configured replica id, or one made of the host name and pid (unique on a machine, readable in logs). */
export function replicaIdOf(configured: string | null): string {
  if (configured) return configured;
  return `${hostname().replace(/[^A-Za-z0-9_.:-]/g, '-')}-${process.pid}`;
}
