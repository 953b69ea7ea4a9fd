import { type DecayedCount, type DemandState, decayed } from './demand.ts';

/**
 * Several replicas' demand as one, for predictive preloading when replicas share a fleet: each replica
 * records what it was asked, so the fleet's demand is the sum. Recent counts are decayed to `now` and added
 * (each by its own half-life); the hour-of-day histograms are added hour by hour. The consecutive-code-failure
 * signal stays ours: it is about requests this replica saw fail in a row.
 */
export function mergeDemand(own: DemandState, others: readonly DemandState[], now: number): DemandState {
  const merged = structuredClone(own);
  for (const other of others) {
    addCounts(merged.models, own.halfLifeS, other.models, other.halfLifeS, now);
    addCounts(merged.tasks, own.halfLifeS, other.tasks, other.halfLifeS, now);
    addCounts(merged.tasksBaseline, own.baselineHalfLifeS, other.tasksBaseline, other.baselineHalfLifeS, now);
    for (const [task, hours] of Object.entries(other.hourly ?? {})) {
      const into = merged.hourly[task] ?? new Array<number>(24).fill(0);
      merged.hourly[task] = into;
      for (let h = 0; h < 24; h++) into[h] = (into[h] ?? 0) + (hours[h] ?? 0);
    }
    for (let h = 0; h < 24; h++)
      merged.hourlyTotal[h] = (merged.hourlyTotal[h] ?? 0) + (other.hourlyTotal?.[h] ?? 0);
  }
  return merged;
}

function addCounts(
  into: Record<string, DecayedCount>,
  intoHalfLifeS: number,
  from: Record<string, DecayedCount> | undefined,
  fromHalfLifeS: number,
  now: number,
): void {
  for (const [key, count] of Object.entries(from ?? {})) {
    into[key] = { v: decayed(into[key], intoHalfLifeS, now) + decayed(count, fromHalfLifeS, now), at: now };
  }
}
