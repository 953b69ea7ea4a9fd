import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { PersistenceStatus } from '../manager/status-view.ts';
import {
  Journal,
  type LoadResult,
  SnapshotStore,
  stringifyPayload,
  writeFileAtomic,
} from '../persistence/index.ts';
import type { Clock } from '../time/clock.ts';
import type { EventSink } from './fleet.ts';
import type { OpsState } from './ops-store.ts';

/** What state.json holds. Bump SCHEMA_VERSION whenever its shape, or a machine's context shape, changes. */
export interface PersistedState {
  /** The supervisor's getPersistedSnapshot(), model actors included (discovered ones too). */
  supervisor: unknown;
  /** The configured `host/model` ids: a config that names a model the snapshot lacks cannot resume it. */
  models: string[];
  /** The ops store's context: demand, retry budget, recent decisions. */
  ops: OpsState;
}

export const SCHEMA_VERSION = 2;
export const STATE_FILE = 'state.json';
export const CHECKPOINT_DIR = 'checkpoints';

/** A base checkpoint file: a snapshot kept apart from state.json, so replay can start from it later. */
export interface BaseCheckpoint {
  checkpoint_id: string;
  at: number;
  payload: PersistedState;
}

/**
 * Snapshots and the journal for one state folder. Every event entering the actor system goes to the journal
 * (buffered, a few µs); the supervisor's snapshot is saved debounced, at once when a circuit changes (so an
 * open circuit survives kill -9), and on shutdown. At start and on request a base checkpoint is written to
 * checkpoints/ — state.json is overwritten by every save, a base checkpoint is not — so `rmm replay` can
 * rebuild history from it.
 */
export class StatePersistence {
  readonly journal: Journal;
  readonly store: SnapshotStore;
  private loadResult: LoadResult = { status: 'fresh' };
  private getPayload: (() => PersistedState) | undefined;

  private readonly durable: boolean;

  constructor(
    readonly dir: string,
    private readonly clock: Clock,
    private readonly logger: Logger,
    options: { runId?: string | undefined; durable?: boolean | undefined; replica?: string | undefined } = {},
  ) {
    mkdirSync(join(dir, CHECKPOINT_DIR), { recursive: true });
    this.durable = options.durable ?? true;
    this.journal = new Journal({
      dir,
      clock,
      logger,
      ...(options.runId !== undefined && { runId: options.runId }),
      ...(options.replica !== undefined && { replica: options.replica }),
    });
    this.store = new SnapshotStore({
      dir,
      name: STATE_FILE,
      schemaVersion: SCHEMA_VERSION,
      clock,
      logger,
      checkpoints: this.journal,
      durable: this.durable,
    });
  }

  /** Loads state.json; anything unusable for `config` is quarantined and the service starts fresh. */
  restore(config: Readonly<Config>, expectedIds: string[]): PersistedState | undefined {
    this.loadResult = this.store.load();
    if (this.loadResult.status !== 'restored') return undefined;
    const payload = this.loadResult.envelope.payload as Partial<PersistedState>;
    const same = Array.isArray(payload.models) && payload.models.join('\n') === expectedIds.join('\n');
    if (!payload.supervisor || !payload.ops || !same) {
      const reason = payload.supervisor
        ? `saved for models ${(payload.models ?? []).join(', ')}, configured now: ${expectedIds.join(', ')}`
        : 'no supervisor snapshot in it';
      this.quarantine(`incompatible with this configuration (${config.hosts.length} host(s)): ${reason}`);
      return undefined;
    }
    return payload as PersistedState;
  }

  /** For a snapshot that loaded but could not be restored into actors. */
  quarantine(reason: string): void {
    this.loadResult = this.store.quarantine(reason);
  }

  attach(getPayload: () => PersistedState): void {
    this.getPayload = getPayload;
  }

  readonly sink: EventSink = (target, event, requestId) => {
    this.journal.append(
      requestId ? { at: event.now, target, event, request_id: requestId } : { at: event.now, target, event },
    );
    if (this.getPayload) this.store.schedule(this.getPayload);
  };

  /** Resolves when every journal and snapshot write queued so far is on disk (the simulation waits on it). */
  async idle(): Promise<void> {
    await Promise.all([this.journal.idle(), this.store.idle()]);
  }

  /** Journals a decision with its inputs (not fed to actors on replay: printed and recomputed). */
  decision(at: number, decision: { kind: string }): void {
    this.journal.append({ type: 'decision', at, decision });
  }

  /** Saves now (a circuit opened or closed: too important to wait for the debounce). */
  saveNow(): void {
    if (this.getPayload)
      this.store
        .save(this.getPayload())
        .catch((err: unknown) => this.logger.error({ err }, 'snapshot save failed'));
  }

  /** Writes a base checkpoint: the snapshot now, in its own file, named by a checkpoint line in the journal. */
  async baseCheckpoint(): Promise<string | undefined> {
    if (!this.getPayload) return undefined;
    const at = this.clock.now();
    const file = `${CHECKPOINT_DIR}/base-${at}-${process.pid}.json`;
    // Captured and cut in the same synchronous step: the file holds every event before the line, none after.
    const payload = this.getPayload();
    const id = this.journal.checkpoint(file);
    const body: BaseCheckpoint = { checkpoint_id: id, at, payload };
    await writeFileAtomic(join(this.dir, file), stringifyPayload(body), this.durable);
    return id;
  }

  status(): PersistenceStatus {
    const s = this.store.status();
    const j = this.journal.stats();
    return {
      state_file: join(this.dir, STATE_FILE),
      last_saved_at: s.last_saved_at,
      last_load: this.loadResult.status,
      quarantined:
        this.loadResult.status === 'quarantined' ? (this.loadResult.movedTo ?? '(could not move)') : null,
      journal_records: j.records_written + j.buffered,
      last_error: s.last_error?.message ?? (j.last_error as { message?: string } | null)?.message ?? null,
    };
  }

  async close(): Promise<void> {
    if (this.getPayload) await this.store.save(this.getPayload()).catch(() => {});
    await this.store.flush();
    await this.journal.close();
  }
}
