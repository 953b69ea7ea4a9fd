import { describe, expect, it } from 'vitest';
import { createActor, fromCallback } from 'xstate';
import { effectiveEstimates } from '../../machines/model/estimates.ts';
import type { ModelInput } from '../../machines/model/types.ts';
import { modelMachine } from '../../machines/model.machine.ts';
import type { LoaderCommand, PlanDecision, SupervisorInput } from '../../machines/supervisor/types.ts';
import { supervisorMachine } from '../../machines/supervisor.machine.ts';
import { makeInput } from './harness.ts';

const T0 = 1_000_000;

/** A supervisor on one 16 GB host with a 2 GB warm model and three 7 GB models; commands are recorded. */
function start(extra: Partial<SupervisorInput> = {}) {
  const model = (name: string, sizeGb: number): ModelInput =>
    makeInput({ id: `local/${name}`, model: name, host: 'local', sizeGb, loadTimeMs: 1000 });
  const input: SupervisorInput = {
    hosts: [{ name: 'local', url: 'http://x', budgetGb: 16, maxLoadedModels: 4, numParallel: 1 }],
    models: [model('warm', 2), model('a', 7), model('b', 7), model('c', 7), model('giant', 40)],
    pinned: ['local/warm'],
    evictionPolicy: 'value',
    loadTimeoutMs: 60_000,
    modelDefaults: { circuit: makeInput().circuit, loadTimeoutMs: 60_000, demandHalfLifeMs: 600_000 },
    now: T0,
    ...extra,
  };
  const commands: LoaderCommand[] = [];
  const decisions: PlanDecision[] = [];
  const machine = supervisorMachine.provide({
    actors: {
      loader: fromCallback<LoaderCommand>(({ receive }) => receive((c) => commands.push(c))) as never,
      model: modelMachine,
    },
  });
  const actor = createActor(machine, { input });
  actor.on('decision', (e) => decisions.push(e.decision));
  actor.start();
  let now = T0;
  const send = (e: Record<string, unknown>) => actor.send({ now: ++now, ...e } as never);
  const loaded = (id: string) => send({ type: 'LOAD_SUCCEEDED', id, durationMs: 1000 });
  const ledger = () => actor.getSnapshot().context.hosts['local']!.ledger;
  const state = (name: string) => actor.getSnapshot().context.models[`local/${name}`]!.getSnapshot().value;
  return { actor, send, loaded, ledger, state, commands, decisions };
}

describe('supervisor: the ledger and load planning', () => {
  it('plans a wanted load into its ledger, commands the loader, and learns the outcome', () => {
    const s = start();
    s.send({ type: 'HOST_RECONCILED', host: 'local', sampledAt: T0, models: [] });
    // The warm set is wanted as soon as the host answers.
    expect(s.commands).toEqual([expect.objectContaining({ type: 'LOAD', id: 'local/warm', evict: [] })]);
    s.loaded('local/warm');
    s.send({ type: 'LOAD_WANTED', id: 'local/a', mode: 'request', urgency: 'batch', requestId: 'r1' });
    expect(s.ledger()['a']).toMatchObject({ status: 'loading', vramGb: 7 });
    expect(s.state('a')).toBe('loading');
    s.loaded('local/a');
    expect(s.ledger()['a']!.status).toBe('loaded');
    expect(s.state('a')).toBe('loaded');
    expect(s.decisions.map((d) => d.kind)).toEqual(['load', 'loaded', 'load', 'loaded']);
    expect(s.decisions[2]).toMatchObject({
      request_id: 'r1',
      inputs: { sizeGb: 7, evictionPolicy: 'value' },
    });
  });

  it('evicts an idle model to make room, never the warm set for an interactive want, and queues behind busy ones', () => {
    const s = start();
    s.send({ type: 'HOST_RECONCILED', host: 'local', sampledAt: T0, models: [] });
    s.loaded('local/warm');
    for (const m of ['a', 'b']) {
      s.send({ type: 'LOAD_WANTED', id: `local/${m}`, mode: 'request', urgency: 'batch' });
      s.loaded(`local/${m}`);
    }
    // 2 + 7 + 7 = 16: c needs one of a, b to go; b is busy, so a goes.
    s.actor.getSnapshot().context.models['local/b']!.send({ type: 'REQUEST_STARTED', now: T0 + 100 });
    s.send({ type: 'LOAD_WANTED', id: 'local/c', mode: 'request', urgency: 'batch' });
    const load = s.commands.at(-1)!;
    expect(load).toMatchObject({ type: 'LOAD', id: 'local/c', evict: ['local/a'] });
    expect(s.ledger()['a']!.status).toBe('unloading');
    expect(s.decisions.find((d) => d.kind === 'eviction')).toMatchObject({ model: 'a', for_model: 'c' });
    // A giant (40 GB) cannot fit beside the warm set: an interactive want is refused, a batch one may take it.
    s.send({
      type: 'LOAD_WANTED',
      id: 'local/giant',
      mode: 'request',
      urgency: 'interactive',
      requestId: 'i',
    });
    expect(s.decisions.at(-1)).toMatchObject({ kind: 'refuse', model: 'giant', request_id: 'i' });
    s.send({ type: 'LOAD_WANTED', id: 'local/giant', mode: 'request', urgency: 'batch', requestId: 'b' });
    // b is busy and c is loading: the batch want waits for them.
    expect(s.decisions.at(-1)).toMatchObject({ kind: 'wait', model: 'giant' });
    expect(s.actor.getSnapshot().context.wants).toEqual([expect.objectContaining({ id: 'local/giant' })]);
  });

  it('marks a host down and up without touching its models, and drops what vanished from /api/ps', () => {
    const s = start();
    s.send({ type: 'HOST_RECONCILED', host: 'local', sampledAt: T0, models: [] });
    s.loaded('local/warm');
    s.send({ type: 'HOST_DOWN', host: 'local', reason: 'connection_refused' });
    expect(s.actor.getSnapshot().context.hosts['local']!.health).toMatchObject({
      status: 'down',
      outages: 1,
    });
    expect(s.state('warm')).toBe('loaded');
    // Back after a restart: nothing in memory any more.
    s.send({ type: 'HOST_RECONCILED', host: 'local', sampledAt: T0 + 50, models: [] });
    expect(s.actor.getSnapshot().context.hosts['local']!.health.status).toBe('up');
    expect(s.decisions.map((d) => d.kind)).toContain('vanished');
    // ...and the warm set is wanted again at once.
    expect(s.commands.filter((c) => c.id === 'local/warm')).toHaveLength(2);
  });
});

describe('supervisor: one planner per host across replicas', () => {
  it('forwards wants while a peer plans the host, mirrors its ledger, and plans itself once it takes over', () => {
    const s = start();
    s.send({ type: 'PLANNER_CHANGED', host: 'local', planner: 'peer' });
    s.send({ type: 'HOST_RECONCILED', host: 'local', sampledAt: T0, models: [] });
    s.send({ type: 'LOAD_WANTED', id: 'local/a', mode: 'request', urgency: 'batch', requestId: 'r' });
    expect(s.commands).toEqual([]);
    expect(s.decisions.filter((d) => d.kind === 'forwarded').map((d) => d.model)).toEqual(['warm', 'a']);
    // The planner's ledger arrives: a is loaded; our model actor follows and the want is satisfied.
    s.send({
      type: 'LEDGER_SYNC',
      host: 'local',
      ledger: { a: { status: 'loaded', vramGb: 7, sizeGb: 7, since: T0 + 5 } },
      foreign: [],
    });
    expect(s.state('a')).toBe('loaded');
    expect(s.actor.getSnapshot().context.wants.map((w) => w.id)).toEqual(['local/warm']);
    // The peer died; the lease is ours: the warm want still queued is planned here now.
    s.send({ type: 'PLANNER_CHANGED', host: 'local', planner: 'local' });
    expect(s.commands).toEqual([expect.objectContaining({ type: 'LOAD', id: 'local/warm' })]);
    // A stale sync from the old planner is ignored once we plan.
    s.send({ type: 'LEDGER_SYNC', host: 'local', ledger: {}, foreign: [] });
    expect(s.ledger()['a']!.status).toBe('loaded');
  });

  it('keeps a want while the planner loads it, and loads it itself if that planner dies mid-load', () => {
    const s = start();
    s.send({ type: 'PLANNER_CHANGED', host: 'local', planner: 'peer' });
    s.send({ type: 'HOST_RECONCILED', host: 'local', sampledAt: T0, models: [] });
    s.send({ type: 'LOAD_WANTED', id: 'local/a', mode: 'request', urgency: 'batch', requestId: 'r' });
    // The planner's ledger shows a loading: our want is not satisfied by a load we cannot see finish.
    s.send({
      type: 'LEDGER_SYNC',
      host: 'local',
      ledger: { a: { status: 'loading', vramGb: 7, sizeGb: 7, since: T0 + 5 } },
      foreign: [],
    });
    expect(s.actor.getSnapshot().context.wants.map((w) => w.id)).toContain('local/a');
    // The planner died mid-load; the lease is ours: its loading slot is forgotten and a is loaded here.
    s.send({ type: 'PLANNER_CHANGED', host: 'local', planner: 'local' });
    expect(s.commands).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'LOAD', id: 'local/a' })]),
    );
  });

  it('as planner, does not evict what another replica is using; plans the load once that replica is done', () => {
    const s = start();
    s.send({ type: 'HOST_RECONCILED', host: 'local', sampledAt: T0, models: [] });
    s.loaded('local/warm');
    for (const m of ['a', 'b']) {
      s.send({ type: 'LOAD_WANTED', id: `local/${m}`, mode: 'request', urgency: 'batch' });
      s.loaded(`local/${m}`);
    }
    // The card is full (2 + 7 + 7 of 16 GB); replica r2 has requests in flight on a and b.
    s.send({ type: 'PEER_BUSY', host: 'local', replica: 'r2', busy: { a: 1, b: 2 } });
    s.commands.length = 0;
    s.send({ type: 'LOAD_WANTED', id: 'local/c', mode: 'request', urgency: 'batch', requestId: 'rc' });
    expect(s.commands).toEqual([]);
    expect(s.decisions.at(-1)).toMatchObject({ kind: 'wait', model: 'c' });
    // r2 finished with b: c is loaded in b's place.
    s.send({ type: 'PEER_BUSY', host: 'local', replica: 'r2', busy: { a: 1 } });
    expect(s.commands).toEqual([
      expect.objectContaining({ type: 'LOAD', id: 'local/c', evict: ['local/b'] }),
    ]);
    s.send({ type: 'PEER_BUSY', host: 'local', replica: 'r2', busy: {} });
    expect(s.actor.getSnapshot().context.hosts['local']!.peerBusy).toEqual({});
  });

  it('adopts a circuit opened by a peer replica, and closes it when the peer does', () => {
    const s = start();
    const a = s.actor.getSnapshot().context.models['local/a']!;
    a.send({ type: 'PEER_CIRCUIT', now: T0 + 1, state: 'open', openUntil: T0 + 3_000, reason: 'fatal' });
    expect(a.getSnapshot().value).toBe('open');
    expect(a.getSnapshot().context).toMatchObject({ openUntil: T0 + 3_000, openReason: 'peer: fatal' });
    a.send({ type: 'PEER_CIRCUIT', now: T0 + 2, state: 'closed' });
    expect(a.getSnapshot().value).toBe('unloaded');
    a.send({
      type: 'PEER_ESTIMATES',
      now: T0 + 3,
      replica: 'r2',
      measuredSizeGb: 8,
      sizeSamples: 1,
      measuredLoadMs: 4000,
      loadSamples: 1,
      tokensPerS: null,
      tokenSamples: 0,
    });
    expect(effectiveEstimates(a.getSnapshot().context)).toMatchObject({ sizeGb: 8, loadTimeMs: 4000 });
    // The same totals again change nothing; ours, once measured, weigh in by their own sample count.
    a.send({
      type: 'PEER_ESTIMATES',
      now: T0 + 4,
      replica: 'r2',
      measuredSizeGb: 8,
      sizeSamples: 1,
      measuredLoadMs: 4000,
      loadSamples: 1,
      tokensPerS: null,
      tokenSamples: 0,
    });
    a.send({ type: 'LOAD_REQUESTED', now: T0 + 5 });
    a.send({ type: 'LOAD_SUCCEEDED', now: T0 + 6, durationMs: 2000, sizeGb: 6 });
    expect(effectiveEstimates(a.getSnapshot().context)).toMatchObject({
      sizeGb: 7,
      sizeSamples: 2,
      loadTimeMs: 3000,
      loadSamples: 2,
    });
  });
});
