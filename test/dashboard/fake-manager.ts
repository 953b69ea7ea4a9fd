import type { CompletionResult } from '../../src/manager/completion.ts';
import type { EmbedResult } from '../../src/manager/embedding.ts';
import type { HealthResult } from '../../src/manager/health-result.ts';
import type { Manager } from '../../src/manager/manager.ts';
import type { PreloadResult } from '../../src/manager/preload-result.ts';
import type { CircuitView, HostView, ModelView, StatusView } from '../../src/manager/status-view.ts';

/** A Manager whose status is a plain object the test edits; every other call is unused by the dashboard. */
export class FakeManager implements Manager {
  status_: StatusView;
  statusCalls = 0;
  /** When set, status() throws it (to exercise the feed's error path). */
  failWith: Error | undefined;

  constructor(status: StatusView = sampleStatus()) {
    this.status_ = status;
  }

  status(): StatusView {
    this.statusCalls++;
    if (this.failWith) throw this.failWith;
    // A copy, as a real manager builds a fresh view each time.
    return structuredClone(this.status_);
  }

  /** Sets a model's state and its circuit as the real manager would show a tripped breaker. */
  setState(modelId: string, state: string): void {
    const model = this.model(modelId);
    model.state = state;
    const circuit = this.status_.circuits.find((c) => c.id === modelId);
    if (circuit && (state === 'open' || state === 'halfOpen')) {
      // Spelled as the real status view spells it.
      circuit.state = state === 'open' ? 'open' : 'half_open';
      circuit.is_open = state === 'open';
      circuit.available = state !== 'open';
      circuit.failure_count = 5;
      circuit.times_opened += state === 'open' ? 1 : 0;
      circuit.retry_at = new Date(Date.now() + 60_000).toISOString();
    }
  }

  model(modelId: string): ModelView {
    const model = this.status_.models.find((m) => m.id === modelId);
    if (!model) throw new Error(`no model ${modelId}`);
    return model;
  }

  host(name: string): HostView {
    const host = this.status_.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`no host ${name}`);
    return host;
  }

  decide(kind: string, message: string, requestId?: string): void {
    const entry: StatusView['recent_decisions'][number] = { at: new Date().toISOString(), kind, message };
    if (requestId) entry.request_id = requestId;
    this.status_.recent_decisions.unshift(entry);
  }

  complete(): Promise<CompletionResult> {
    return Promise.reject(new Error('not used by the dashboard'));
  }
  completeWithFallback(): Promise<CompletionResult> {
    return Promise.reject(new Error('not used by the dashboard'));
  }
  embed(): Promise<EmbedResult> {
    return Promise.reject(new Error('the dashboard never asks for embeddings'));
  }

  preloadModel(): Promise<PreloadResult> {
    return Promise.reject(new Error('not used by the dashboard'));
  }
  checkHealth(): Promise<HealthResult> {
    return Promise.reject(new Error('not used by the dashboard'));
  }
  models(): ModelView[] {
    return this.status().models;
  }
  ready(): boolean {
    return true;
  }
  catalog(): string[] {
    return this.status_.models.map((m) => m.name);
  }
  upstreamVersion(): string | undefined {
    return '0.12.0';
  }
  prometheusMetrics(): Promise<string> {
    return Promise.resolve('');
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface ModelSeed {
  name: string;
  host: string;
  state: string;
  size_gb: number;
  in_flight?: number;
  latency?: number;
}

const SEEDS: ModelSeed[] = [
  { name: 'llama3.2:3b', host: 'local', state: 'loaded', size_gb: 2.5, in_flight: 2, latency: 420 },
  { name: 'deepseek-coder:latest', host: 'local', state: 'loaded', size_gb: 3.8, latency: 910 },
  { name: 'deepseek-r1:14b', host: 'local', state: 'loading', size_gb: 9 },
  { name: 'qwen2.5-coder:32b', host: 'local', state: 'unloaded', size_gb: 20 },
  { name: 'llama3.2:8b', host: 'local', state: 'degraded', size_gb: 5, in_flight: 1, latency: 2600 },
  { name: 'tinyllama:latest', host: 'local', state: 'halfOpen', size_gb: 0.64 },
  { name: 'llama3.1:70b', host: 'gpu2', state: 'missing', size_gb: 40 },
];

export function sampleStatus(): StatusView {
  const now = Date.now();
  const models: ModelView[] = SEEDS.map((s) => ({
    id: `${s.name}@${s.host}`,
    name: s.name,
    host: s.host,
    state: s.state,
    size_gb: s.size_gb,
    load_time_s: s.size_gb * 1.7,
    strengths: ['general'],
    chains: [{ task_type: 'general', position: 0, quality: 0.8 }],
    in_flight: s.in_flight ?? 0,
    latency_ewma_ms: s.latency ?? null,
    latency_p50_ms: s.latency ?? null,
    latency_p95_ms: s.latency ? s.latency * 1.8 : null,
    probe_latency_ms: null,
    last_used: s.latency ? new Date(now - 42_000).toISOString() : null,
    resident: s.state === 'loaded' || s.state === 'degraded' || s.state === 'halfOpen',
    vram_gb: s.state === 'unloaded' || s.state === 'missing' ? null : s.size_gb,
    estimates: {
      vram_gb: { value: s.size_gb, source: 'config', samples: 0 },
      load_s: { value: s.size_gb * 1.7, source: 'config', samples: 0 },
      tokens_per_s: { value: 50, source: 'config', samples: 0 },
    },
    demand: s.in_flight ?? 0,
    origin: 'config',
    details: {
      family: 'llama',
      parameter_size: null,
      quantization_level: 'Q4_K_M',
      capabilities: ['completion'],
      context_length: 131_072,
    },
  }));
  const circuits: CircuitView[] = models.map((m) => ({
    id: m.id,
    model: m.name,
    host: m.host,
    state: m.state === 'halfOpen' ? 'half_open' : m.state === 'missing' ? 'missing' : 'closed',
    available: m.state !== 'missing',
    is_open: false,
    failure_count: m.state === 'degraded' ? 2 : 0,
    times_opened: m.state === 'halfOpen' ? 1 : 0,
    retry_at: null,
  }));
  return {
    backend: 'simulated',
    shared_state: { mode: 'embedded' },
    started_at: new Date(now - 3_725_000).toISOString(),
    uptime_s: 3725,
    models,
    circuits,
    hosts: [
      {
        name: 'local',
        url: 'http://127.0.0.1:11434',
        backend: 'simulated',
        reachable: true,
        vram_budget_gb: 16,
        vram_used_gb: 11.3,
        loaded: ['llama3.2:3b', 'deepseek-coder:latest', 'llama3.2:8b'],
        loading: ['deepseek-r1:14b'],
        unloading: [],
        foreign: [],
        waiting: [],
        health: {
          status: 'up',
          since: new Date(now - 3_725_000).toISOString(),
          reason: null,
          outages: 0,
          version: '0.12.0',
        },
      },
      {
        name: 'gpu2',
        url: 'http://10.0.0.7:11434',
        backend: 'simulated',
        reachable: false,
        vram_budget_gb: 24,
        vram_used_gb: 0,
        loaded: [],
        loading: [],
        unloading: [],
        foreign: [],
        waiting: [],
        health: {
          status: 'down',
          since: new Date(now - 60_000).toISOString(),
          reason: 'connection_refused',
          outages: 1,
          version: null,
        },
      },
    ],
    last_error: null,
    chains: [
      {
        task: 'general',
        source: 'config',
        rule: "the seed's default chain",
        chain: [{ model: 'llama3.2:8b', quality: 0.85 }],
      },
    ],
    recent_decisions: [
      {
        at: new Date(now - 3_000).toISOString(),
        request_id: 'req-7f3a',
        kind: 'selection',
        message:
          'chose llama3.2:3b: qwen2.5-coder:32b cannot load within the 5 s interactive deadline (35 s)',
      },
      {
        at: new Date(now - 9_000).toISOString(),
        kind: 'load',
        message: 'loading deepseek-r1:14b on local (9 GB, 15 s expected); 4.7 GB free after it',
      },
      {
        at: new Date(now - 20_000).toISOString(),
        kind: 'circuit',
        message: 'tinyllama:latest half-open after 60 s: letting 1 trial call through',
      },
    ],
    model_state: { circuits: {}, saved_at: null },
  };
}
