import { isLoading } from './estimate.ts';
import { chosenWords, formatDuration } from './select-reason.ts';
import type { PlannedAttempt, Scan } from './select-types.ts';

export function label(scan: Scan, model: string, host: string): string {
  return scan.multiHost && host !== '' ? `${model}@${host}` : model;
}

/** Names the choice and why each better candidate was skipped. */
export function explain(
  scan: Scan,
  first: PlannedAttempt | undefined,
  bgId: string | undefined,
  declinedId?: string,
): string {
  let out = '';
  // Only better candidates are worth a word; a served named model needs none.
  const bar =
    first === undefined || first.outOfChain ? -1 : first.named ? Number.POSITIVE_INFINITY : first.quality;
  const skipped = scan.skipped;
  for (let i = 0; i < skipped.length; i++) {
    const s = skipped[i]!;
    // What the request needs (a capability, a long enough context) is always worth a word.
    const needs = s.reason === 'no_capability' || s.reason === 'context_too_small';
    if (s.quality < bar && s.model !== scan.input.namedModel && !needs) continue;
    if (out !== '') out += '; ';
    out += `${label(scan, s.model, s.host)} skipped: ${s.detail}`;
    if (s.id !== null && s.id === bgId) out += ' (loading in background)';
    else if (s.id !== null && s.id === declinedId)
      out += ' (not loaded in background: worth less than what it would evict)';
  }
  if (out !== '') out += '; ';
  if (first === undefined) {
    out += `no model can answer within the ${scan.deadline}`;
    const soonest = scan.late[0];
    if (soonest !== undefined)
      out += `; soonest late option: ${label(scan, soonest.model, soonest.host)} (${formatDuration(soonest.expectedMs)} expected)`;
    return out;
  }
  let loading = false;
  if (first.needsLoad) {
    const cs = scan.input.candidates;
    for (let i = 0; i < cs.length; i++) if (cs[i]!.id === first.id) loading = isLoading(cs[i]!);
  }
  return (
    out +
    chosenWords(
      {
        name: label(scan, first.model, first.host),
        quality: first.quality,
        expectedMs: first.expectedMs,
        needsLoad: first.needsLoad,
        loading,
        named: first.named,
        outOfChain: first.outOfChain,
      },
      scan.input.taskType,
      scan.deadline,
    )
  );
}
