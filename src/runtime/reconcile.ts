import type { DiscoveredModel } from '../../machines/supervisor/types.ts';
import type { Backend, TagEntry } from '../backend/backend.ts';
import { classifyError } from '../policy/errors.ts';
import { kvBytesPerToken } from '../policy/size-estimate.ts';
import type { Clock } from '../time/clock.ts';
import { clockSignal } from './clock-signal.ts';
import type { DecisionLog } from './decisions.ts';
import type { Fleet } from './fleet.ts';
import type { HostHealth } from './host-health.ts';

const GB = 1e9;

/**
 * Keeps the supervisor's picture of each host true:
 * - /api/ps against the ledger: Ollama evicts and expires models behind our back (keep_alive, its own
 *   scheduler, a restart), and other clients load models we do not manage;
 * - discovery: /api/tags on every round, and /api/show for models not seen before, give each model's size,
 *   family, capabilities and context length. The supervisor spawns an actor for every new model and marks
 *   the ones a host lost as missing (a model pulled later appears without a restart).
 * A host that does not answer is reported to the host breaker, never charged to its models.
 */
export class Reconciler {
  /** host → name → what /api/show said, so each model is shown once (again only if its size changed). */
  private readonly shown = new Map<string, Map<string, { size: number; model: DiscoveredModel }>>();

  constructor(
    private readonly fleet: Fleet,
    private readonly backends: ReadonlyMap<string, Backend>,
    private readonly clock: Clock,
    private readonly decisions: DecisionLog,
    private readonly hostHealth: HostHealth,
    private readonly timeoutMs: number,
  ) {}

  async reconcileAll(): Promise<void> {
    await Promise.all([...this.backends.keys()].map((host) => this.reconcile(host)));
  }

  private readonly running = new Map<string, Promise<void>>();

  /**
   * One reconciliation of `host`, shared with one already running — unless `fresh`: a host that just
   * answered again must not wait on a reconciliation that started while it hung.
   */
  reconcile(host: string, fresh = false): Promise<void> {
    const running = this.running.get(host);
    if (running && !fresh) return running;
    const p = this.run(host).finally(() => this.running.delete(host));
    this.running.set(host, p);
    return p;
  }

  private async run(host: string): Promise<void> {
    const backend = this.backends.get(host)!;
    const sampledAt = this.clock.now();
    const bound = clockSignal(this.clock, this.timeoutMs);
    try {
      const [ps, tags, version] = await Promise.all([
        backend.ps(bound.signal),
        backend.tags(bound.signal),
        backend.version(bound.signal).catch(() => undefined),
      ]);
      await this.discover(host, backend, tags, bound.signal);
      this.fleet.sendSupervisor({
        type: 'HOST_RECONCILED',
        host,
        sampledAt,
        ...(version !== undefined && { version }),
        models: ps.map((m) => ({
          name: m.name,
          sizeGb: m.size / GB,
          sizeVramGb: m.size_vram / GB,
          ...(Number.isFinite(Date.parse(m.expires_at)) && { expiresAt: Date.parse(m.expires_at) }),
        })),
      });
      this.hostHealth.answered(host);
    } catch (err) {
      const c = classifyError((err as { cause?: unknown }).cause ?? err, 'connect');
      if (!this.hostHealth.isDown(host))
        this.decisions.record('reconcile', `host ${host} does not answer: ${c.message}`, { host });
      this.hostHealth.markDown(host, c.reason);
    } finally {
      bound.clear();
    }
  }

  /** Sends the host's catalog to the supervisor when it changed (new, gone or resized models). */
  private async discover(host: string, backend: Backend, tags: TagEntry[], signal: AbortSignal) {
    const seen = this.shown.get(host);
    const known = seen ?? new Map<string, { size: number; model: DiscoveredModel }>();
    let changed = seen === undefined || tags.length !== known.size;
    const next = new Map<string, { size: number; model: DiscoveredModel }>();
    for (const tag of tags) {
      const seen = known.get(tag.name);
      if (seen && seen.size === tag.size) {
        next.set(tag.name, seen);
        continue;
      }
      changed = true;
      next.set(tag.name, { size: tag.size, model: await describe(backend, tag, signal) });
    }
    this.shown.set(host, next);
    // A model marked missing by a 404 while /api/tags kept listing it (a transient "not found") leaves the
    // catalog unchanged: it must still be told it is there, or it stays missing for good.
    const foundAgain = this.fleet.ids().some((id) => {
      if (!id.startsWith(`${host}/`) || this.fleet.stateOf(id) !== 'missing') return false;
      const model = id.slice(host.length + 1);
      return next.has(model) || next.has(`${model}:latest`);
    });
    if (!changed && !foundAgain) return;
    const models = [...next.values()].map((v) => v.model);
    this.fleet.sendSupervisor({ type: 'HOST_CATALOG', host, models });
    const ours = new Set(models.map((m) => m.name));
    for (const id of this.fleet.ids()) {
      if (!id.startsWith(`${host}/`)) continue;
      const model = id.slice(host.length + 1);
      if (!ours.has(model) && !ours.has(`${model}:latest`) && this.fleet.stateOf(id) !== 'missing')
        this.decisions.record(
          'reconcile',
          `${model} is not on ${host}: pull it with "ollama pull ${model}"`,
          {
            host,
            model,
          },
        );
    }
  }
}

/** One model as the host describes it; /api/show is optional (an older Ollama, a flaky host). */
async function describe(backend: Backend, tag: TagEntry, signal: AbortSignal): Promise<DiscoveredModel> {
  const model: DiscoveredModel = { name: tag.name, sizeBytes: tag.size };
  if (tag.family) model.family = tag.family;
  if (tag.parameterSize) model.parameterSize = tag.parameterSize;
  if (tag.quantization) model.quantization = tag.quantization;
  try {
    const show = await backend.show(tag.name, signal);
    if (show.capabilities) model.capabilities = show.capabilities;
    if (show.contextLength !== undefined) model.contextLength = show.contextLength;
    const kv = kvBytesPerToken(show.modelInfo);
    if (kv !== undefined) model.kvBytesPerToken = kv;
  } catch {
    // Without /api/show the model is still usable; its size comes from /api/tags alone.
  }
  return model;
}
