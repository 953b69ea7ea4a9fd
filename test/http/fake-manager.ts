import type { Config, TaskType, Urgency } from '../../src/config/schema.ts';
import type { CancelSignal } from '../../src/manager/cancel-signal.ts';
import type { CompletionRequest, CompletionResult, UpstreamChunk } from '../../src/manager/completion.ts';
import type { EmbedRequest, EmbedResult } from '../../src/manager/embedding.ts';
import { type ErrorCode, RmmError } from '../../src/manager/errors.ts';
import type { HealthResult } from '../../src/manager/health-result.ts';
import type { Manager } from '../../src/manager/manager.ts';
import type { PreloadResult } from '../../src/manager/preload-result.ts';
import type { CircuitView, HostView, ModelView, StatusView } from '../../src/manager/status-view.ts';

/**
 * A Manager that behaves like the real one seen from HTTP: picks a model from the config's chains,
 * streams its answer word by word through onChunk with small delays, honours the abort signal, and can be
 * told to fail before the first chunk or after some chunks. Answers are `echo: <prompt>`.
 */
export interface FakeBehaviour {
  mode: 'ok' | 'fail-before' | 'fail-after';
  /** Error thrown when failing. Default RMM_NO_MODEL_AVAILABLE before, RMM_STREAM_BROKEN after. */
  error?: () => RmmError;
  /** Chunks sent before a 'fail-after' failure. Default 2. */
  afterChunks?: number;
  /** Pause before each chunk, in ms (0: no timer at all). Default 1. */
  chunkDelayMs?: number;
  /** Answer as if the first choice failed and the next one answered. */
  fallback?: boolean;
  /** Resolve without ever calling onChunk (a manager that does not stream). */
  noChunks?: boolean;
}

export interface FakeManager extends Manager {
  readonly calls: CompletionRequest[];
  readonly embeds: EmbedRequest[];
  readonly preloads: string[];
  readonly healthChecks: Array<{ name: string; force: boolean }>;
  /** Requests whose abort signal fired while they ran. */
  readonly aborted: string[];
  behaviour: FakeBehaviour;
  /** Overrides `behaviour` for the next complete() only. */
  failNext(behaviour: Partial<FakeBehaviour> & Pick<FakeBehaviour, 'mode'>): void;
  readyState: boolean;
  /** What the hosts' lowest Ollama version is (undefined: none has answered). */
  upstream: string | undefined;
  openCircuits: Set<string>;
}

const ERROR_BEFORE: ErrorCode = 'RMM_NO_MODEL_AVAILABLE';
const ERROR_AFTER: ErrorCode = 'RMM_STREAM_BROKEN';

export function createFakeManager(
  config: Readonly<Config>,
  initial: Partial<FakeBehaviour> = {},
): FakeManager {
  const catalog = Object.keys(config.models);
  const loaded = new Set(config.warm_set);
  const startedAt = new Date();
  let next: FakeBehaviour | undefined;

  const fake: FakeManager = {
    calls: [],
    embeds: [],
    preloads: [],
    healthChecks: [],
    aborted: [],
    behaviour: { mode: 'ok', ...initial },
    readyState: true,
    upstream: config.simulator.version,
    openCircuits: new Set(),
    failNext(b) {
      next = { ...fake.behaviour, ...b };
    },

    async complete(request) {
      fake.calls.push(request);
      const behaviour = next ?? fake.behaviour;
      next = undefined;
      const started = Date.now();
      const requestId = request.requestId ?? `fake-${fake.calls.length}`;
      const task = taskOf(request);
      const urgency: Urgency = request.urgency ?? 'interactive';
      const chain = config.chains[task] ?? [];
      const first = concrete(request.model) ?? chain[0]?.model ?? catalog[0]!;
      const model = behaviour.fallback ? (chain.find((c) => c.model !== first)?.model ?? first) : first;
      if (!catalog.includes(first)) {
        throw new RmmError('RMM_UNKNOWN_MODEL', `unknown model '${first}'`, { model: first });
      }
      const delay = behaviour.chunkDelayMs ?? 1;
      const watch = watchAbort(request.signal, requestId, fake.aborted);
      try {
        await pause(delay, request.signal);
        if (behaviour.mode === 'fail-before')
          throw (behaviour.error ?? (() => new RmmError(ERROR_BEFORE, 'every candidate failed')))();
        const text = `echo: ${promptOf(request)}`;
        const pieces = text.split(/(?<= )/);
        const created_at = new Date().toISOString();
        const chunk = (piece: string): UpstreamChunk =>
          request.kind === 'chat'
            ? { model, created_at, message: { role: 'assistant', content: piece }, done: false }
            : { model, created_at, response: piece, done: false };
        let sent = 0;
        for (const piece of pieces) {
          if (behaviour.mode === 'fail-after' && sent >= (behaviour.afterChunks ?? 2)) {
            throw (
              behaviour.error ?? (() => new RmmError(ERROR_AFTER, `${model} failed after ${sent} chunks`))
            )();
          }
          await pause(delay, request.signal);
          if (!behaviour.noChunks) request.onChunk?.(chunk(piece));
          sent++;
        }
        const final: UpstreamChunk = {
          ...chunk(''),
          done: true,
          done_reason: 'stop',
          total_duration: (Date.now() - started) * 1e6 + 1,
          load_duration: 1000,
          prompt_eval_count: promptOf(request).split(' ').length,
          prompt_eval_duration: 2000,
          eval_count: pieces.length,
          eval_duration: 3000,
        };
        if (!behaviour.noChunks) request.onChunk?.(final);
        const result: CompletionResult = {
          request_id: requestId,
          response: text,
          model_used: model,
          host: config.hosts[0]!.name,
          fallback_used: model !== first,
          attempts: model !== first ? 2 : 1,
          latency_ms: Date.now() - started,
          selection_reason: `${model} is first in the ${task} chain and loaded; "quoted" reason, ünïcode`,
          task_type: task,
          urgency,
          classification: {
            task_type: task,
            confidence: 1,
            matched: [],
            source: request.taskType ? 'given' : 'default',
          },
          attempts_detail: [
            { model, host: config.hosts[0]!.name, outcome: 'success', latency_ms: 1, retry: 0 },
          ],
          final,
        };
        return result;
      } finally {
        watch();
      }
    },

    completeWithFallback(input) {
      const request: CompletionRequest = { kind: 'generate', prompt: input.prompt };
      if (input.taskType) request.taskType = input.taskType;
      if (input.urgency) request.urgency = input.urgency;
      if (input.model) request.model = input.model;
      if (input.signal) request.signal = input.signal;
      return fake.complete(request);
    },

    async embed(request: EmbedRequest): Promise<EmbedResult> {
      fake.embeds.push(request);
      const model =
        request.model && !request.model.startsWith('auto') ? request.model : 'nomic-embed-text:latest';
      if (!catalog.includes(model))
        throw new RmmError(
          'RMM_UNKNOWN_MODEL',
          `unknown model "${model}"; use auto or one of: ${catalog.join(', ')}`,
        );
      const dims = request.dimensions ?? 8;
      // Deterministic vectors: each input's characters spread over the dimensions.
      const embeddings = request.input.map((text) => {
        const v = new Array<number>(dims).fill(0);
        for (let i = 0; i < text.length; i++) v[i % dims]! += text.charCodeAt(i) / 1000;
        return v;
      });
      return {
        request_id: request.requestId ?? 'fake',
        model_used: model,
        host: config.hosts[0]!.name,
        embeddings,
        fallback_used: false,
        attempts: 1,
        latency_ms: 1,
        selection_reason: `chose ${model}`,
        attempts_detail: [],
        prompt_eval_count: request.input.join('').length,
      };
    },

    async preloadModel(name): Promise<PreloadResult> {
      fake.preloads.push(name);
      const already = loaded.has(name);
      loaded.add(name);
      return {
        model_name: name,
        host: config.hosts[0]!.name,
        status: already ? 'already_loaded' : 'loaded',
        evicted: [],
        reason: 'requested',
      };
    },

    async checkHealth(name, force = false): Promise<HealthResult> {
      fake.healthChecks.push({ name, force });
      return {
        model_name: name,
        host: config.hosts[0]!.name,
        healthy: !fake.openCircuits.has(name),
        tested: true,
        state: loaded.has(name) ? 'loaded' : 'unloaded',
        cached: !force,
        checked_at: new Date().toISOString(),
        latency_ms: 3,
        detail: force ? 'probe answered' : 'cached probe result',
      };
    },

    status(): StatusView {
      const models = fake.models();
      const circuits: CircuitView[] = models.map((m) => {
        const open = fake.openCircuits.has(m.name);
        return {
          id: m.id,
          model: m.name,
          host: m.host,
          state: open ? 'open' : 'closed',
          available: !open,
          is_open: open,
          failure_count: open ? config.circuit.failure_threshold : 0,
          times_opened: open ? 1 : 0,
          retry_at: open ? new Date(Date.now() + 60_000).toISOString() : null,
        };
      });
      const hosts: HostView[] = config.hosts.map((h) => ({
        name: h.name,
        url: h.url,
        backend: 'simulated',
        reachable: true,
        vram_budget_gb: h.vram_gb,
        vram_used_gb: [...loaded].reduce((sum, m) => sum + (config.models[m]?.size_gb ?? 0), 0),
        loaded: [...loaded],
        loading: [],
        unloading: [],
        foreign: [],
        waiting: [],
        health: { status: 'up', since: startedAt.toISOString(), reason: null, outages: 0, version: '0.12.0' },
      }));
      return {
        backend: 'simulated',
        shared_state: { mode: 'embedded' },
        started_at: startedAt.toISOString(),
        uptime_s: (Date.now() - startedAt.getTime()) / 1000,
        models,
        circuits,
        hosts,
        recent_decisions: [],
        last_error: null,
        chains: Object.entries(config.chains).map(([task, chain]) => ({
          task,
          source: 'config' as const,
          rule: 'from the config',
          chain,
        })),
        model_state: {
          circuits: Object.fromEntries(
            circuits.map((c) => [c.model, { is_open: c.is_open, failure_count: c.failure_count }]),
          ),
          saved_at: null,
        },
      };
    },

    models(): ModelView[] {
      const host = config.hosts[0]!.name;
      return catalog.map((name) => {
        const spec = config.models[name]!;
        return {
          id: `${name}@${host}`,
          name,
          host,
          state: fake.openCircuits.has(name) ? 'open' : loaded.has(name) ? 'loaded' : 'unloaded',
          size_gb: spec.size_gb,
          load_time_s: spec.load_time_s,
          strengths: spec.strengths,
          chains: Object.entries(config.chains).flatMap(([task, chain]) =>
            chain.flatMap((c, position) =>
              c.model === name ? [{ task_type: task, position, quality: c.quality }] : [],
            ),
          ),
          in_flight: 0,
          latency_ewma_ms: null,
          latency_p50_ms: null,
          latency_p95_ms: null,
          probe_latency_ms: null,
          last_used: null,
          resident: loaded.has(name),
          vram_gb: loaded.has(name) ? spec.size_gb : null,
          estimates: {
            vram_gb: { value: spec.size_gb, source: 'config', samples: 0 },
            load_s: { value: spec.load_time_s, source: 'config', samples: 0 },
            tokens_per_s: { value: spec.tokens_per_s, source: 'config', samples: 0 },
          },
          demand: 0,
          origin: 'config',
          details: {
            family: spec.family ?? null,
            parameter_size: spec.parameter_size ?? null,
            quantization_level: spec.quantization_level ?? null,
            capabilities: ['completion'],
            context_length: spec.context_length ?? null,
          },
        };
      });
    },

    ready: () => fake.readyState,
    catalog: () => catalog,
    upstreamVersion: () => fake.upstream,
    prometheusMetrics: async () => '',
    close: async () => {},
  };
  return fake;
}

function taskOf(request: CompletionRequest): TaskType {
  if (request.taskType) return request.taskType;
  if (request.model?.startsWith('auto:')) return request.model.slice(5) as TaskType;
  return /code|function/i.test(promptOf(request)) ? 'code_generation' : 'general';
}

function concrete(model: string | undefined): string | undefined {
  return model && !model.startsWith('auto') ? model : undefined;
}

function promptOf(request: CompletionRequest): string {
  if (request.kind === 'generate') return request.prompt ?? '';
  const users = (request.messages ?? []).filter((m) => m.role === 'user');
  return users[users.length - 1]?.content ?? '';
}

function pause(ms: number, signal: CancelSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    if (ms <= 0) return resolve();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function cancelled(): RmmError {
  return new RmmError('RMM_CANCELLED', 'the client went away');
}

function watchAbort(signal: CancelSignal | undefined, id: string, log: string[]): () => void {
  if (!signal) return () => {};
  const onAbort = () => log.push(id);
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
