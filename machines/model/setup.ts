import { assertEvent, assign, fromCallback, setup } from 'xstate';
import { failureOf } from './failure.ts';
import * as g from './guards.ts';
import type { DeadlineTimerInput, ModelContext, ModelEvent, ModelInput } from './types.ts';
import * as u from './updates.ts';

/**
 * The model machine's vocabulary: its types, the guards and actions its transitions name, and the deadline
 * timer it invokes. Each one delegates to a pure function (guards.ts, updates.ts); the statechart that
 * wires them is model.machine.ts.
 */
/** Default deadline timer: never fires. Replace with machine.provide({ actors: { deadlineTimer } }). */
const inertDeadlineTimer = fromCallback<ModelEvent, DeadlineTimerInput>(() => undefined);

export const modelSetup = setup({
  types: {
    context: {} as ModelContext,
    events: {} as ModelEvent,
    input: {} as ModelInput,
  },
  actors: { deadlineTimer: inertDeadlineTimer },
  guards: {
    isMissingFailure: ({ context, event }) => g.isMissingFailure(context, event),
    failureCounts: ({ context, event }) => g.failureCounts(context, event),
    isFatalFailure: ({ context, event }) => g.isFatalFailure(context, event),
    failureTrips: ({ context, event }) => g.failureTrips(context, event),
    failureDegrades: ({ context, event }) => g.failureDegrades(context, event),
    successDegrades: ({ context, event }) => g.successDegrades(context, event),
    successRecovers: ({ context, event }) => g.successRecovers(context, event),
    recoveryDue: ({ context, event }) => g.recoveryDue(context, event),
    loadDeadlinePassed: ({ context, event }) => g.loadDeadlinePassed(context, event),
    degradedDeadlinePassed: ({ context, event }) => g.degradedDeadlinePassed(context, event),
    hasTrialLeft: ({ context, event }) => g.hasTrialLeft(context, event),
    trialInFlight: ({ context, event }) => g.trialInFlight(context, event),
    reportsLoaded: ({ context, event }) => g.reportsLoaded(context, event),
    reportsGone: ({ context, event }) => g.reportsGone(context, event),
    peerOpens: ({ context, event }) => g.peerOpens(context, event),
    peerOpensLater: ({ context, event }) => g.peerOpensLater(context, event),
    peerCloses: ({ context, event }) => g.peerCloses(context, event),
    isResident: ({ context }) => context.resident,
  },
  actions: {
    stamp: assign(({ context, event }) => u.stamp(context, event)),
    startRequest: assign(({ context, event }) => u.startRequest(context, event)),
    endRequest: assign(({ context, event }) => u.endRequest(context, event)),
    startTrial: assign(({ context, event }) => u.startTrial(context, event)),
    refundTrial: assign(({ context, event }) => u.refundTrial(context, event)),
    settleTrial: assign(({ context }) => u.settleTrial(context)),
    requestSucceeded: assign(({ context, event }) => {
      assertEvent(event, 'REQUEST_SUCCEEDED');
      return u.requestSucceeded(context, event);
    }),
    probeSucceeded: assign(({ context, event }) => {
      assertEvent(event, 'PROBE_SUCCEEDED');
      return u.probeSucceeded(context, event);
    }),
    startProbe: assign(({ context, event }) => u.startProbe(context, event)),
    endProbe: assign(({ context, event }) => u.endProbe(context, event)),
    requestFailed: assign(({ context, event }) => {
      assertEvent(event, 'REQUEST_FAILED');
      return u.requestFailed(context, event);
    }),
    /** PROBE_FAILED, LOAD_FAILED, or a load deadline: a failure with no request attached. */
    recordFailure: assign(({ context, event }) => {
      const f = failureOf(event);
      return f ? u.failure(context, f, event) : u.stamp(context, event);
    }),
    beginLoad: assign(({ context, event }) => u.beginLoad(context, event)),
    loadMeasured: assign(({ context, event }) => {
      assertEvent(event, 'LOAD_SUCCEEDED');
      return u.loadMeasured(context, event);
    }),
    residencyReported: assign(({ context, event }) => {
      assertEvent(event, 'RECONCILED');
      return u.residencyReported(context, event);
    }),
    noteUnloaded: assign(({ context, event }) => ({ ...u.stamp(context, event), ...u.clearResidency() })),
    clearLoad: assign(() => u.clearLoad()),
    clearDegraded: assign(() => u.clearDegraded()),
    clearResidency: assign(() => u.clearResidency()),
    clearCircuit: assign(() => u.clearCircuit()),
    markDegraded: assign(({ context }) => u.markDegraded(context)),
    forgetEvidence: assign(({ context }) => u.forgetEvidence(context)),
    openCircuit: assign(({ context, event }) =>
      u.openCircuit(context, u.openReasonFor(context, failureOf(event))),
    ),
    reopenCircuit: assign(({ context }) => u.openCircuit(context, 'trial_failed')),
    enterHalfOpen: assign(({ context, event }) => u.enterHalfOpen(context, event)),
    closeCircuit: assign(({ context }) => u.closeCircuit(context)),
    forgetInFlight: assign(({ context, event }) => u.forgetInFlight(context, event)),
    resetTrials: assign(({ context }) => u.resetTrials(context)),
    adoptOpen: assign(({ context, event }) => {
      assertEvent(event, 'PEER_CIRCUIT');
      return u.adoptOpen(context, event);
    }),
    mergeEstimates: assign(({ context, event }) => {
      assertEvent(event, 'PEER_ESTIMATES');
      return u.mergeEstimates(context, event);
    }),
  },
});
