import type { OllamaBackend } from '../backend/ollama-backend.ts';
import type { Config } from '../config/schema.ts';
import type { HealthResult } from '../manager/types.ts';
import { classifyError, GarbageOutputError } from '../policy/errors.ts';
import type { Clock } from '../time/clock.ts';
import type { DecisionLog } from './decisions.ts';
import type { Fleet } from './fleet.ts';

/** A question with one right answer: a model that cannot say 42 here is not answering coherently. */
export const PROBE_PROMPT = 'What is 17 + 25? Reply with the number only.';
export const PROBE_ANSWER = /\b42\b/;

interface CacheEntry {
  at: number;
  healthy: boolean;
  latencyMs: number | null;
  detail: string;
}

/**
 * Health probes. A loaded model gets a real short inference with a coherence check; an unloaded one is only
 * checked for existence (/api/tags) — loading a model just to probe it would evict someone's work.
 * Results are cached for `health.ttl_s`; `force` bypasses the cache. Probe outcomes are events to the
 * model actor, which is how a half-open circuit closes without user traffic.
 */
export class Prober {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly running = new Map<string, Promise<CacheEntry>>();

  constructor(
    private readonly config: Readonly<Config>,
    private readonly fleet: Fleet,
    private readonly backends: ReadonlyMap<string, OllamaBackend>,
    private readonly clock: Clock,
    private readonly decisions: DecisionLog,
  ) {}

  async check(id: string, force = false): Promise<HealthResult> {
    const view = this.fleet.view(id)!;
    const cached = this.cache.get(id);
    const fresh = cached && this.clock.now() - cached.at < this.config.health.ttl_s * 1000;
    const entry = !force && fresh && cached ? cached : await this.probe(id);
    return {
      model_name: view.model,
      host: view.host,
      healthy: entry.healthy,
      state: this.fleet.stateOf(id) ?? 'unknown',
      cached: entry === cached,
      checked_at: new Date(entry.at).toISOString(),
      latency_ms: entry.latencyMs,
      detail: entry.detail,
    };
  }

  /** The age of the last probe result, or Infinity. */
  age(id: string): number {
    const cached = this.cache.get(id);
    return cached ? this.clock.now() - cached.at : Number.POSITIVE_INFINITY;
  }

  /** Runs one probe (shared with any probe of the same model already running). */
  probe(id: string): Promise<CacheEntry> {
    const running = this.running.get(id);
    if (running) return running;
    const p = this.run(id).finally(() => this.running.delete(id));
    this.running.set(id, p);
    return p;
  }

  private async run(id: string): Promise<CacheEntry> {
    const view = this.fleet.view(id)!;
    const backend = this.backends.get(view.host)!;
    const started = this.clock.now();
    const timeoutMs = this.config.health.probe_timeout_s * 1000;
    let entry: CacheEntry;
    if (!view.resident) {
      entry = await this.checkExists(id, backend, started, timeoutMs);
    } else {
      const release = this.fleet.hold(id);
      try {
        const { text } = await backend.infer({
          kind: 'generate',
          model: view.model,
          prompt: PROBE_PROMPT,
          options: { temperature: 0, num_predict: 8 },
          timeoutMs,
        });
        if (!PROBE_ANSWER.test(text))
          throw new GarbageOutputError(`expected 42, got ${JSON.stringify(text.slice(0, 40))}`);
        const latencyMs = this.clock.now() - started;
        this.fleet.send(id, { type: 'PROBE_SUCCEEDED', latencyMs });
        entry = {
          at: this.clock.now(),
          healthy: true,
          latencyMs,
          detail: `answered the probe correctly in ${Math.round(latencyMs)} ms`,
        };
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
        entry = {
          at: this.clock.now(),
          healthy: false,
          latencyMs: null,
          detail: `probe failed: ${c.reason} (${c.message})`,
        };
      } finally {
        release();
      }
    }
    this.cache.set(id, entry);
    this.decisions.record('probe', `${view.model} on ${view.host}: ${entry.detail}`, {
      model: view.model,
      healthy: entry.healthy,
    });
    return entry;
  }

  private async checkExists(
    id: string,
    backend: OllamaBackend,
    started: number,
    timeoutMs: number,
  ): Promise<CacheEntry> {
    const view = this.fleet.view(id)!;
    try {
      const names = await backend.tags(AbortSignal.timeout(Math.max(1, timeoutMs)));
      const present = names.includes(view.model);
      this.fleet.send(id, { type: present ? 'MODEL_FOUND' : 'MODEL_MISSING' });
      const open = this.fleet.stateOf(id) === 'open';
      return {
        at: this.clock.now(),
        healthy: present && !open,
        latencyMs: this.clock.now() - started,
        detail: present
          ? `not loaded (never loaded just to probe); present on ${view.host}${open ? ', circuit open' : ''}`
          : `not present on ${view.host}: pull it with "ollama pull ${view.model}"`,
      };
    } catch (err) {
      const c = classifyError(err, 'connect');
      return {
        at: this.clock.now(),
        healthy: false,
        latencyMs: null,
        detail: `host ${view.host} did not answer: ${c.message}`,
      };
    }
  }
}
