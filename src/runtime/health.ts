import type { Backend } from '../backend/backend.ts';
import type { Config } from '../config/schema.ts';
import type { HealthResult } from '../manager/health-result.ts';
import { classifyError, GarbageOutputError } from '../policy/errors.ts';
import { generationMs } from '../policy/estimate.ts';
import type { Clock } from '../time/clock.ts';
import type { DecisionLog } from './decisions.ts';
import type { Fleet } from './fleet.ts';
import type { Limiter } from './limiter.ts';
import type { Loader } from './loader.ts';
import { acquireSlot, SlotTimeoutError } from './slots.ts';

/** A question with one right answer: a model that cannot say 42 here is not answering coherently. */
export const PROBE_PROMPT = 'What is 17 + 25? Reply with the number only.';
export const PROBE_ANSWER = /\b42\b/;
const PROBE_TOKENS = 8;

interface CacheEntry {
  at: number;
  /** null: not tested (not loaded, or no free slot); the detail says why. */
  healthy: boolean | null;
  latencyMs: number | null;
  detail: string;
}

/**
 * Health probes: a real short inference with a coherence check, as one more request on the model. A probe
 * takes a slot like a request (so it never waits behind live traffic on a clock of its own), and its
 * timeout follows the model's expected answer time (plus its load time when it must load), never less
 * than `health.probe_timeout_s`. Waiting for a slot is saturation, not a verdict. An unloaded model is not
 * loaded just to probe it — loading evicts someone's work — unless the caller forces the check.
 * Outcomes are events to the model actor: that is how a half-open circuit closes without user traffic.
 */
export class Prober {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly running = new Map<string, Promise<CacheEntry>>();

  constructor(
    private readonly config: Readonly<Config>,
    private readonly fleet: Fleet,
    private readonly backends: ReadonlyMap<string, Backend>,
    private readonly limiters: ReadonlyMap<string, Limiter>,
    private readonly loader: Loader,
    private readonly clock: Clock,
    private readonly decisions: DecisionLog,
  ) {}

  async check(id: string, force = false): Promise<HealthResult> {
    const view = this.fleet.view(id)!;
    const cached = this.cache.get(id);
    const fresh = cached && this.clock.now() - cached.at < this.config.health.ttl_s * 1000;
    const entry = !force && fresh && cached ? cached : await this.probe(id, force);
    return {
      model_name: view.model,
      host: view.host,
      healthy: entry.healthy === true,
      tested: entry.healthy !== null,
      state: this.fleet.stateOf(id) ?? 'unknown',
      cached: entry === cached,
      checked_at: new Date(entry.at).toISOString(),
      latency_ms: entry.latencyMs,
      detail: entry.detail,
    };
  }

  /** One round of background probing: loaded idle models past the TTL, and every half-open circuit. */
  async probeDue(): Promise<void> {
    const ttl = this.config.health.ttl_s * 1000;
    await Promise.all(
      this.fleet.ids().map((id) => {
        const view = this.fleet.view(id)!;
        if (view.hostUp === false) return undefined;
        const due =
          view.state === 'halfOpen' ||
          view.state === 'degraded' ||
          (view.state === 'loaded' && view.resident && view.inFlight === 0 && this.age(id) > ttl);
        return due ? this.probe(id, view.state === 'halfOpen') : undefined;
      }),
    );
  }

  /** The age of the last probe result, or Infinity. */
  age(id: string): number {
    const cached = this.cache.get(id);
    return cached ? this.clock.now() - cached.at : Number.POSITIVE_INFINITY;
  }

  /** Runs one probe (shared with any probe of the same model already running). */
  probe(id: string, load = false): Promise<CacheEntry> {
    const running = this.running.get(id);
    if (running) return running;
    const p = this.run(id, load).finally(() => this.running.delete(id));
    this.running.set(id, p);
    return p;
  }

  private async run(id: string, load: boolean): Promise<CacheEntry> {
    const view = this.fleet.view(id)!;
    let loadMs = 0;
    if (!view.resident) {
      if (!load) return this.remember(id, notTested(this.clock.now(), view.host));
      const started = this.clock.now();
      try {
        await this.loader.want(id, { mode: 'preload' });
      } catch (err) {
        const detail = `not tested: could not load it (${err instanceof Error ? err.message : String(err)})`;
        return this.remember(id, { at: this.clock.now(), healthy: false, latencyMs: null, detail });
      }
      loadMs = this.clock.now() - started;
    }
    const expected = generationMs(view, PROBE_TOKENS, this.config.selection.partial_offload_slowdown);
    const timeoutMs = Math.max(this.config.health.probe_timeout_s * 1000, expected * 4) + loadMs;
    const started = this.clock.now();
    let release: (() => void) | undefined;
    try {
      release = await acquireSlot(this.limiters.get(id), this.clock, timeoutMs);
    } catch (err) {
      if (!(err instanceof SlotTimeoutError)) throw err;
      return this.remember(id, {
        at: this.clock.now(),
        healthy: null,
        latencyMs: null,
        detail: `not tested: no free slot within ${Math.round(timeoutMs)} ms (busy, not broken)`,
      });
    }
    this.fleet.send(id, { type: 'PROBE_STARTED' });
    try {
      const backend = this.backends.get(view.host)!;
      const { text } = await backend.infer({
        kind: 'generate',
        model: view.model,
        prompt: PROBE_PROMPT,
        options: { temperature: 0, num_predict: PROBE_TOKENS },
        // A thinking model would spend the probe's few tokens thinking and answer nothing checkable.
        ...(view.capabilities?.includes('thinking') && { think: false }),
        timeoutMs: Math.max(1, timeoutMs - (this.clock.now() - started)),
      });
      if (!PROBE_ANSWER.test(text))
        throw new GarbageOutputError(`expected 42, got ${JSON.stringify(text.slice(0, 40))}`);
      const latencyMs = this.clock.now() - started;
      this.fleet.send(id, { type: 'PROBE_SUCCEEDED', latencyMs });
      return this.remember(id, {
        at: this.clock.now(),
        healthy: true,
        latencyMs,
        detail: `answered the probe correctly in ${Math.round(latencyMs)} ms`,
      });
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      const phase = (err as { phase?: 'connect' }).phase ?? 'connect';
      const c = classifyError(cause, phase);
      this.fleet.send(id, {
        type: 'PROBE_FAILED',
        errorClass: c.class,
        reason: c.reason,
        countsAgainstCircuit: c.countsAgainstCircuit,
        missing: c.missing,
      });
      return this.remember(id, {
        at: this.clock.now(),
        healthy: false,
        latencyMs: null,
        detail: `probe failed: ${c.reason} (${c.message})`,
      });
    } finally {
      release();
    }
  }

  private remember(id: string, entry: CacheEntry): CacheEntry {
    this.cache.set(id, entry);
    const view = this.fleet.view(id)!;
    this.decisions.record('probe', `${view.model} on ${view.host}: ${entry.detail}`, {
      model: view.model,
      healthy: entry.healthy,
    });
    return entry;
  }
}

function notTested(at: number, host: string): CacheEntry {
  return {
    at,
    healthy: null,
    latencyMs: null,
    detail: `not tested (not loaded on ${host}; never loaded just to probe: pass force_check to load and test it)`,
  };
}
