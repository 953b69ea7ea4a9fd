import type { OllamaBackend } from '../backend/ollama-backend.ts';
import type { Clock } from '../time/clock.ts';
import type { DecisionLog } from './decisions.ts';
import type { Fleet } from './fleet.ts';

const GB = 1e9;

/**
 * Compares each host's /api/ps with what the model actors believe: Ollama evicts and expires models behind
 * our back (keep_alive, its own scheduler, a restart), and someone else may load models we do not manage.
 * The supervisor fans the answer out to its model actors; a host that does not answer is marked unreachable
 * and its models keep their last known state until it answers again.
 */
export class Reconciler {
  private readonly missingChecked = new Set<string>();

  constructor(
    private readonly fleet: Fleet,
    private readonly backends: ReadonlyMap<string, OllamaBackend>,
    private readonly clock: Clock,
    private readonly decisions: DecisionLog,
    private readonly timeoutMs: number,
  ) {}

  async reconcileAll(): Promise<void> {
    await Promise.all([...this.backends.keys()].map((host) => this.reconcile(host)));
  }

  async reconcile(host: string): Promise<void> {
    const backend = this.backends.get(host)!;
    const sampledAt = this.clock.now();
    const wasReachable = this.fleet.hosts()[host]?.reachable;
    try {
      const signal = AbortSignal.timeout(Math.max(1, this.timeoutMs));
      const ps = await backend.ps(signal);
      // /api/tags at the first look at a host, and again while any of its models is missing (it may have
      // been pulled since).
      const anyMissing = this.fleet
        .ids()
        .some((id) => id.startsWith(`${host}/`) && this.fleet.stateOf(id) === 'missing');
      if (!this.missingChecked.has(host) || anyMissing) await this.markMissing(host, backend, signal);
      this.fleet.sendSupervisor({
        type: 'HOST_RECONCILED',
        host,
        now: this.clock.now(),
        sampledAt,
        models: ps.map((m) => ({
          name: m.name,
          sizeVramGb: m.size_vram / GB,
          ...(Number.isFinite(Date.parse(m.expires_at)) && { expiresAt: Date.parse(m.expires_at) }),
        })),
      });
      if (wasReachable === false) this.decisions.record('reconcile', `host ${host} answers again`, { host });
    } catch (err) {
      const error =
        err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      this.fleet.sendSupervisor({ type: 'HOST_UNREACHABLE', host, now: this.clock.now(), error });
      if (wasReachable !== false)
        this.decisions.record('reconcile', `host ${host} does not answer: ${error}`, { host });
    }
  }

  /** Models of the catalog the host does not have become `missing`; missing ones it has again come back. */
  private async markMissing(host: string, backend: OllamaBackend, signal: AbortSignal) {
    const present = new Set(await backend.tags(signal));
    this.missingChecked.add(host);
    for (const id of this.fleet.ids()) {
      if (!id.startsWith(`${host}/`)) continue;
      const model = id.slice(host.length + 1);
      const known = present.has(model) || present.has(`${model}:latest`);
      if (!known) {
        this.fleet.send(id, { type: 'MODEL_MISSING' });
        this.decisions.record(
          'reconcile',
          `${model} is not on ${host}: pull it with "ollama pull ${model}"`,
          { host, model },
        );
      } else if (this.fleet.stateOf(id) === 'missing') {
        this.fleet.send(id, { type: 'MODEL_FOUND' });
      }
    }
  }
}
