import type { ChainEntry, Urgency } from '../config/schema.ts';
import { type Capability, missingCapabilities } from './capabilities.ts';
import {
  type CandidateState,
  generationMs,
  isLoading,
  isOffloaded,
  isResident,
  queueWaitMs,
  slotsOf,
  takesTraffic,
  timeToLoadedMs,
} from './estimate.ts';
import { explain } from './select-explain.ts';
import { LOADED_BONUS, sortAttempts, sortLate } from './select-order.ts';
import { deadlineWords, openDetail, type SlowCause, slowDetail } from './select-reason.ts';
import type { BackgroundLoad, Scan, SelectionInput, SelectionPlan, SkipReason } from './select-types.ts';

export type { CandidateState } from './estimate.ts';
export { LOADED_BONUS } from './select-order.ts';
export type {
  BackgroundLoad,
  LateCandidate,
  PlannedAttempt,
  SelectionInput,
  SelectionPlan,
  SkippedCandidate,
  SkipReason,
} from './select-types.ts';

/**
 * Which models to try for one request, in order. Pure and per request: loops over small arrays, one
 * insertion sort over the (few) feasible attempts, no closures or regex.
 *
 * Order of the plan:
 * 1. the named model, when given, accepts traffic and can answer by the deadline (or `waitForNamedModel`);
 * 2. chain models that can answer by the deadline: higher quality first, then lower expected time, then
 *    chain order (a model on several hosts gives one attempt per host);
 * 3. with `outOfChainFallback`, loaded models outside the chain that can answer by the deadline, ranked by
 *    their quality in `fallbackChain` (the `general` chain), then speed. They lead the plan only when no
 *    chain model can answer in time (the cold start); otherwise they are last resorts after the chain.
 * Open circuits, missing models and candidates with `acceptsTraffic: false` are never in the plan; an
 * attempt's quality is its chain quality (0 for a named model outside the chain). Candidates that would
 * answer after the deadline are listed in `late`, soonest first.
 */

export function selectModels(input: SelectionInput): SelectionPlan {
  const scan: Scan = {
    input,
    deadline: deadlineWords(input.deadlineMs, input.urgency),
    multiHost: hasSeveralHosts(input.candidates),
    attempts: [],
    skipped: [],
    late: [],
    bg: null,
    bgQuality: -1,
    bgExpected: 0,
    bgNamed: false,
  };
  const { chain, namedModel } = input;
  if (namedModel !== undefined) {
    const at = chainIndexOf(chain, namedModel);
    scanModel(scan, namedModel, at >= 0 ? chain[at]!.quality : 0, true);
  }
  for (let i = 0; i < chain.length; i++) {
    const entry = chain[i]!;
    if (entry.model !== namedModel) scanModel(scan, entry.model, entry.quality, false);
  }
  if (input.outOfChainFallback) scanOutOfChain(scan);
  const margin = input.loadedBonus ?? LOADED_BONUS[input.urgency];
  sortAttempts(scan.attempts, margin);
  sortLate(scan.late);

  const first = scan.attempts[0];
  const loadInBackground: BackgroundLoad[] = [];
  let declined: SelectionPlan['backgroundDeclined'];
  // A better model passed over only because a loaded one was preferred: load it for the requests that follow.
  if (first !== undefined && !first.needsLoad && !first.named) {
    for (const a of scan.attempts) {
      if (
        a.needsLoad &&
        !a.outOfChain &&
        a.quality > first.quality &&
        (scan.bg === null || a.quality > scan.bgQuality)
      ) {
        const c = input.candidates.find((x) => x.id === a.id);
        if (c?.fitsNow && !isLoading(c)) {
          scan.bg = c;
          scan.bgQuality = a.quality;
          scan.bgExpected = a.expectedMs;
          scan.bgNamed = false;
        }
      }
    }
  }
  const bg = scan.bg;
  // One load per request: when the chosen attempt already loads a model, the better one waits its turn.
  // A served named model is what the caller wants: nothing better to load for it.
  if (
    bg !== null &&
    (first === undefined ||
      (!first.needsLoad &&
        !first.named &&
        (first.outOfChain || scan.bgNamed || scan.bgQuality > first.quality)))
  ) {
    const why = input.weighBackground?.(bg.id);
    if (why === undefined) loadInBackground.push({ id: bg.id, model: bg.model, host: bg.host });
    else declined = { id: bg.id, model: bg.model, host: bg.host, why };
  }
  const reason = explain(scan, first, loadInBackground[0]?.id, declined?.id);
  return {
    attempts: scan.attempts,
    skipped: scan.skipped,
    loadInBackground,
    ...(declined && { backgroundDeclined: declined }),
    late: scan.late,
    reason,
  };
}

function scanModel(scan: Scan, model: string, quality: number, named: boolean): void {
  const { candidates } = scan.input;
  let found = false;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (c.model !== model) continue;
    found = true;
    scanCandidate(scan, c, quality, named);
  }
  if (!found) {
    scan.skipped.push({ id: null, model, host: '', quality, reason: 'missing', detail: 'not on any host' });
  }
}

/** Takes a request now (the one definition, asked with this request's clock) on a host that answers. */
function available(c: CandidateState, now: number): boolean {
  return (
    c.hostUp !== false && takesTraffic(c.state, c.openUntil, c.trialsLeft ?? (c.acceptsTraffic ? 1 : 0), now)
  );
}

/** A load can start now: room without evicting busy models, and the warm set's room only for work that can wait. */
function canStartLoad(c: CandidateState, urgency: Urgency): boolean {
  return c.fitsNow || (urgency !== 'interactive' && c.fitsIfWarmYields === true);
}

/** Can this model do what the request needs, with room for its prompt? Skips it, saying why, when not. */
function fitsRequest(scan: Scan, c: CandidateState, quality: number): boolean {
  const { input } = scan;
  const missing = missingCapabilities(input.required ?? COMPLETION, c.capabilities);
  if (missing.length > 0) {
    skip(scan, c, quality, 'no_capability', `has no ${missing.join(', ')} capability`);
    return false;
  }
  const tokens = input.promptTokens ?? 0;
  if (c.contextLength !== undefined && tokens > c.contextLength) {
    skip(
      scan,
      c,
      quality,
      'context_too_small',
      `its context (${c.contextLength} tokens) is smaller than the prompt (~${tokens} tokens)`,
    );
    return false;
  }
  return true;
}

const COMPLETION: readonly Capability[] = ['completion'];

function scanCandidate(scan: Scan, c: CandidateState, quality: number, named: boolean): void {
  const { input } = scan;
  if (!fitsRequest(scan, c, quality)) return;
  if (!available(c, input.now)) {
    skipUnavailable(scan, c, quality);
    return;
  }
  const resident = isResident(c);
  const loading = !resident && isLoading(c);
  const loadMs = timeToLoadedMs(c, input.now);
  const genMs = generationMs(c, input.expectedOutputTokens, input.partialOffloadSlowdown, input.outputCap);
  const waitMs = queueWaitMs(c, genMs, ahead(input, c));
  const total = loadMs + waitMs + genMs;
  const canStart = resident || loading || canStartLoad(c, input.urgency);
  const deadline = input.deadlineMs;
  if ((total <= deadline && canStart) || (named && input.waitForNamedModel === true)) {
    scan.attempts.push({
      id: c.id,
      model: c.model,
      host: c.host,
      quality,
      expectedMs: total,
      needsLoad: !resident,
      outOfChain: false,
      named,
      hostRank: c.hostRank ?? 0,
    });
    return;
  }
  scan.late.push({
    id: c.id,
    model: c.model,
    host: c.host,
    quality,
    expectedMs: total,
    needsLoad: !resident,
    hostRank: c.hostRank ?? 0,
  });
  if (!canStart) {
    skip(scan, c, quality, 'no_vram', 'not loaded, and loading it now would evict a busy or pinned model');
    return;
  }
  let cause: SlowCause = 'answer';
  if (loadMs > 0 && waitMs + genMs <= deadline) cause = 'load';
  else if (waitMs > 0 && loadMs + genMs <= deadline) cause = 'queue';
  const detail = slowDetail(cause, loadMs, loading, waitMs, genMs, isOffloaded(c), deadline, scan.deadline);
  skip(scan, c, quality, cause === 'queue' ? 'no_slot' : 'too_slow', detail);
  // Worth loading for the requests that follow: it missed only because it is not in memory yet.
  if (cause === 'load' && !loading && c.fitsNow) considerBackground(scan, c, quality, total, named);
}

function skipUnavailable(scan: Scan, c: CandidateState, quality: number): void {
  if (c.hostUp === false) skip(scan, c, quality, 'host_down', `its host ${c.host} is down`);
  else if (c.state === 'missing') skip(scan, c, quality, 'missing', 'not installed on its host');
  else if (c.state === 'open')
    skip(scan, c, quality, 'circuit_open', openDetail(c.openUntil, scan.input.now));
  else if (c.state === 'halfOpen')
    skip(scan, c, quality, 'half_open_busy', 'circuit half-open, its trial call is in progress');
  else if (c.state === 'unloading') skip(scan, c, quality, 'unloading', 'being unloaded');
  else skip(scan, c, quality, 'unavailable', `not taking traffic (${c.state})`);
}

function considerBackground(scan: Scan, c: CandidateState, quality: number, total: number, named: boolean) {
  if (scan.bg !== null) {
    if (scan.bgNamed && !named) return;
    if (scan.bgNamed === named) {
      if (quality < scan.bgQuality || (quality === scan.bgQuality && total >= scan.bgExpected)) return;
    }
  }
  scan.bg = c;
  scan.bgQuality = quality;
  scan.bgExpected = total;
  scan.bgNamed = named;
}

function skip(scan: Scan, c: CandidateState, quality: number, reason: SkipReason, detail: string): void {
  scan.skipped.push({ id: c.id, model: c.model, host: c.host, quality, reason, detail });
}

function scanOutOfChain(scan: Scan): void {
  const { input } = scan;
  const { candidates, chain, namedModel } = input;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (!available(c, input.now) || c.model === namedModel) continue;
    if (chainIndexOf(chain, c.model) >= 0) continue;
    if (missingCapabilities(input.required ?? COMPLETION, c.capabilities).length > 0) continue;
    if (c.contextLength !== undefined && (input.promptTokens ?? 0) > c.contextLength) continue;
    const resident = isResident(c);
    // Out of the chain, only what is in memory or on its way (the warm set at start) is worth waiting for:
    // loading a model the chain does not name would be the supervisor's choice, not this request's.
    if (!resident && !isLoading(c)) continue;
    const genMs = generationMs(c, input.expectedOutputTokens, input.partialOffloadSlowdown, input.outputCap);
    const total = timeToLoadedMs(c, input.now) + queueWaitMs(c, genMs, ahead(input, c)) + genMs;
    const at = input.fallbackChain ? chainIndexOf(input.fallbackChain, c.model) : -1;
    const quality = at >= 0 ? input.fallbackChain![at]!.quality : 0;
    if (!resident || total > input.deadlineMs) {
      scan.late.push({
        id: c.id,
        model: c.model,
        host: c.host,
        quality,
        expectedMs: total,
        needsLoad: !resident,
        hostRank: c.hostRank ?? 0,
      });
      continue;
    }
    scan.attempts.push({
      id: c.id,
      model: c.model,
      host: c.host,
      quality,
      expectedMs: total,
      needsLoad: false,
      outOfChain: true,
      named: false,
      hostRank: c.hostRank ?? 0,
    });
  }
}

/** Requests on `c` served before this one: all in flight but those its deadline goes ahead of. */
function ahead(input: SelectionInput, c: CandidateState): number {
  // With a slot idle nothing waits: no queue to look into (the common case, kept cheap).
  if (c.inFlight < slotsOf(c) || input.queuedBehind === undefined) return c.inFlight;
  return Math.max(0, c.inFlight - input.queuedBehind(c.id));
}

function chainIndexOf(chain: ReadonlyArray<ChainEntry>, model: string): number {
  for (let i = 0; i < chain.length; i++) if (chain[i]!.model === model) return i;
  return -1;
}

function hasSeveralHosts(candidates: ReadonlyArray<CandidateState>): boolean {
  const first = candidates[0];
  if (first === undefined) return false;
  for (let i = 1; i < candidates.length; i++) if (candidates[i]!.host !== first.host) return true;
  return false;
}
