import { and, not } from 'xstate';
import { initialContext } from './model/context.ts';
import { modelSetup } from './model/setup.ts';

/**
 * One model on one host: its lifecycle (unloaded → loading → loaded → unloading) and its circuit
 * breaker (loaded/degraded → open → halfOpen → loaded), plus `missing` for a model its host lacks.
 *
 * Time: every event carries `now` from the runtime's clock; nothing here reads a clock. Deadlines are
 * absolute times in context (loadDeadline, openUntil, degradedUntil) and each waiting state invokes the
 * `deadlineTimer` actor with `input: { at }`. The default timer (model/setup.ts) never fires (pure); the runtime
 * provides a real one (src/runtime/deadline-timer.ts). XState drops pending `after` timers when a
 * snapshot is restored (xstate #5331), but it restarts invoked children from their persisted input, so
 * a restored actor re-arms its deadline, firing at once if it passed while the process was down.
 *
 * Deadlines are set by transition actions, never by entry actions, so a state can be re-entered to re-arm
 * its timer (when a DEADLINE_REACHED arrives early) without moving the deadline.
 *
 * Requests and loads overlap: REQUEST_STARTED is accepted in every state and always counted in
 * `inFlight` (the supervisor should ask canAcceptRequest first; the machine counts, it does not refuse).
 * A request started while `loading` waits on the load upstream; while loading, only the load is judged
 * (a waiting request that times out says nothing about the model), except FATAL and missing verdicts.
 * The guards and actions named here are defined in model/setup.ts.
 */
export const modelMachine = modelSetup.createMachine({
  id: 'model',
  context: ({ input }) => initialContext(input),
  initial: 'unloaded',
  // Fallbacks for states that do not say otherwise: bookkeeping only, and a 404 always means missing.
  on: {
    MODEL_MISSING: { target: '.missing', actions: 'stamp' },
    REQUEST_STARTED: { actions: 'startRequest' },
    PROBE_STARTED: { actions: 'startProbe' },
    REQUEST_SUCCEEDED: { actions: 'endRequest' },
    REQUEST_CANCELLED: { actions: 'endRequest' },
    REQUEST_FAILED: [
      { guard: 'isMissingFailure', target: '.missing', actions: 'requestFailed' },
      { actions: 'endRequest' },
    ],
    LOAD_FAILED: { guard: 'isMissingFailure', target: '.missing', actions: 'stamp' },
    LOAD_SUCCEEDED: { actions: 'loadMeasured' },
    UNLOADED: { actions: 'noteUnloaded' },
    RECONCILED: { actions: 'residencyReported' },
    RESTORED: { actions: 'forgetInFlight' },
    // Shared state with other replicas: an opening anywhere opens the circuit here too.
    PEER_CIRCUIT: [{ guard: 'peerOpens', target: '.open', actions: 'adoptOpen' }, { actions: 'stamp' }],
    PEER_ESTIMATES: { actions: 'mergeEstimates' },
  },
  states: {
    unloaded: {
      entry: ['clearResidency', 'clearLoad', 'clearDegraded'],
      on: {
        // A request waiting here does not load the model: the supervisor decides loads (LOAD_REQUESTED).
        LOAD_REQUESTED: { target: 'loading', actions: 'beginLoad' },
        REQUEST_SUCCEEDED: { target: 'loaded', actions: 'requestSucceeded' },
        REQUEST_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: 'requestFailed' },
          { guard: 'failureTrips', target: 'open', actions: ['requestFailed', 'openCircuit'] },
          { actions: 'requestFailed' },
        ],
        PROBE_SUCCEEDED: { target: 'loaded', actions: 'probeSucceeded' },
        PROBE_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: ['recordFailure', 'endProbe'] },
          { guard: 'failureTrips', target: 'open', actions: ['recordFailure', 'endProbe', 'openCircuit'] },
          { actions: ['recordFailure', 'endProbe'] },
        ],
        LOAD_SUCCEEDED: { target: 'loaded', actions: 'loadMeasured' },
        RECONCILED: [
          { guard: 'reportsLoaded', target: 'loaded', actions: 'residencyReported' },
          { actions: 'stamp' },
        ],
      },
    },
    loading: {
      invoke: {
        src: 'deadlineTimer',
        id: 'loadTimer',
        input: ({ context }) => ({ at: context.loadDeadline ?? Number.POSITIVE_INFINITY, actor: context.id }),
      },
      on: {
        LOAD_SUCCEEDED: { target: 'loaded', actions: 'loadMeasured' },
        LOAD_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: 'recordFailure' },
          { guard: 'failureTrips', target: 'open', actions: ['recordFailure', 'openCircuit'] },
          { target: 'unloaded', actions: 'recordFailure' },
        ],
        DEADLINE_REACHED: [
          {
            guard: and(['loadDeadlinePassed', 'failureTrips']),
            target: 'open',
            actions: ['recordFailure', 'openCircuit'],
          },
          { guard: 'loadDeadlinePassed', target: 'unloaded', actions: 'recordFailure' },
          // Early (a clock that fired before the deadline): re-enter to arm a new timer.
          { target: 'loading', reenter: true, actions: 'stamp' },
        ],
        REQUEST_SUCCEEDED: { target: 'loaded', actions: 'requestSucceeded' },
        REQUEST_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: 'requestFailed' },
          { guard: 'isFatalFailure', target: 'open', actions: ['requestFailed', 'openCircuit'] },
          { actions: 'endRequest' },
        ],
        PROBE_SUCCEEDED: { target: 'loaded', actions: 'probeSucceeded' },
        PROBE_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: ['stamp', 'endProbe'] },
          { guard: 'isFatalFailure', target: 'open', actions: ['recordFailure', 'endProbe', 'openCircuit'] },
          { actions: ['stamp', 'endProbe'] },
        ],
        UNLOAD_REQUESTED: { target: 'unloading', actions: 'stamp' },
        UNLOADED: { target: 'unloaded', actions: 'stamp' },
        // /api/ps lists a loading model already: it can neither confirm nor deny the load.
        RECONCILED: { actions: 'stamp' },
        // The load call died with the process; Ollama abandons a load whose client went away.
        RESTORED: { target: 'unloaded', actions: 'forgetInFlight' },
      },
    },
    loaded: {
      entry: ['clearLoad', 'clearDegraded'],
      on: {
        REQUEST_SUCCEEDED: [
          { guard: 'successDegrades', target: 'degraded', actions: ['requestSucceeded', 'markDegraded'] },
          { actions: 'requestSucceeded' },
        ],
        REQUEST_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: 'requestFailed' },
          { guard: 'failureTrips', target: 'open', actions: ['requestFailed', 'openCircuit'] },
          { guard: 'failureDegrades', target: 'degraded', actions: ['requestFailed', 'markDegraded'] },
          { actions: 'requestFailed' },
        ],
        PROBE_SUCCEEDED: [
          { guard: 'successDegrades', target: 'degraded', actions: ['probeSucceeded', 'markDegraded'] },
          { actions: 'probeSucceeded' },
        ],
        PROBE_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: ['stamp', 'endProbe'] },
          { guard: 'failureTrips', target: 'open', actions: ['recordFailure', 'endProbe', 'openCircuit'] },
          {
            guard: 'failureDegrades',
            target: 'degraded',
            actions: ['recordFailure', 'endProbe', 'markDegraded'],
          },
          { actions: ['recordFailure', 'endProbe'] },
        ],
        UNLOAD_REQUESTED: { target: 'unloading', actions: 'stamp' },
        UNLOADED: { target: 'unloaded', actions: 'stamp' },
        RECONCILED: [
          { guard: 'reportsGone', target: 'unloaded', actions: 'stamp' },
          { actions: 'residencyReported' },
        ],
      },
    },
    degraded: {
      invoke: {
        src: 'deadlineTimer',
        id: 'degradedTimer',
        input: ({ context }) => ({
          at: context.degradedUntil ?? Number.POSITIVE_INFINITY,
          actor: context.id,
        }),
      },
      on: {
        REQUEST_SUCCEEDED: [
          { guard: 'successRecovers', target: 'loaded', actions: 'requestSucceeded' },
          { actions: 'requestSucceeded' },
        ],
        REQUEST_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: 'requestFailed' },
          { guard: 'failureTrips', target: 'open', actions: ['requestFailed', 'openCircuit'] },
          { actions: 'requestFailed' },
        ],
        PROBE_SUCCEEDED: [
          { guard: 'successRecovers', target: 'loaded', actions: 'probeSucceeded' },
          { actions: 'probeSucceeded' },
        ],
        PROBE_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: ['stamp', 'endProbe'] },
          { guard: 'failureTrips', target: 'open', actions: ['recordFailure', 'endProbe', 'openCircuit'] },
          { actions: ['recordFailure', 'endProbe'] },
        ],
        // No fresh evidence either way for a whole recovery time: judge the model afresh.
        DEADLINE_REACHED: [
          { guard: 'degradedDeadlinePassed', target: 'loaded', actions: ['stamp', 'forgetEvidence'] },
          { target: 'degraded', reenter: true, actions: 'stamp' },
        ],
        UNLOAD_REQUESTED: { target: 'unloading', actions: 'stamp' },
        UNLOADED: { target: 'unloaded', actions: 'stamp' },
        RECONCILED: [
          { guard: 'reportsGone', target: 'unloaded', actions: 'stamp' },
          { actions: 'residencyReported' },
        ],
      },
    },
    open: {
      entry: ['clearLoad', 'clearDegraded'],
      invoke: {
        src: 'deadlineTimer',
        id: 'openTimer',
        input: ({ context }) => ({ at: context.openUntil ?? Number.POSITIVE_INFINITY, actor: context.id }),
      },
      on: {
        DEADLINE_REACHED: [
          { guard: 'recoveryDue', target: 'halfOpen', actions: 'enterHalfOpen' },
          { target: 'open', reenter: true, actions: 'stamp' },
        ],
        // The timer may not have fired yet (or no timer was provided): the event's own clock decides.
        REQUEST_STARTED: [
          { guard: 'recoveryDue', target: 'halfOpen', actions: ['enterHalfOpen', 'startTrial'] },
          { actions: 'startRequest' },
        ],
        PROBE_SUCCEEDED: [
          { guard: 'recoveryDue', target: 'loaded', actions: ['probeSucceeded', 'closeCircuit'] },
          { actions: ['stamp', 'endProbe'] },
        ],
        PROBE_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: ['stamp', 'endProbe'] },
          {
            guard: and(['recoveryDue', 'failureCounts']),
            target: 'open',
            reenter: true,
            actions: ['recordFailure', 'endProbe', 'reopenCircuit'],
          },
          { actions: ['stamp', 'endProbe'] },
        ],
        PEER_CIRCUIT: [
          { guard: and(['peerCloses', 'isResident']), target: 'loaded', actions: ['stamp', 'closeCircuit'] },
          { guard: 'peerCloses', target: 'unloaded', actions: ['stamp', 'closeCircuit'] },
          { guard: 'peerOpensLater', target: 'open', reenter: true, actions: 'adoptOpen' },
          { actions: 'stamp' },
        ],
      },
    },
    halfOpen: {
      on: {
        PEER_CIRCUIT: [
          { guard: and(['peerCloses', 'isResident']), target: 'loaded', actions: ['stamp', 'closeCircuit'] },
          { guard: 'peerCloses', target: 'unloaded', actions: ['stamp', 'closeCircuit'] },
          { guard: 'peerOpens', target: 'open', actions: 'adoptOpen' },
          { actions: 'stamp' },
        ],
        REQUEST_STARTED: [{ guard: 'hasTrialLeft', actions: 'startTrial' }, { actions: 'startRequest' }],
        REQUEST_SUCCEEDED: [
          {
            guard: 'trialInFlight',
            target: 'loaded',
            actions: ['requestSucceeded', 'settleTrial', 'closeCircuit'],
          },
          { actions: 'endRequest' },
        ],
        REQUEST_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: 'requestFailed' },
          {
            guard: and(['trialInFlight', 'failureCounts']),
            target: 'open',
            actions: ['requestFailed', 'reopenCircuit'],
          },
          { guard: and(['trialInFlight', not('failureCounts')]), actions: ['requestFailed', 'refundTrial'] },
          { actions: 'endRequest' },
        ],
        REQUEST_CANCELLED: [
          { guard: 'trialInFlight', actions: ['endRequest', 'refundTrial'] },
          { actions: 'endRequest' },
        ],
        PROBE_SUCCEEDED: { target: 'loaded', actions: ['probeSucceeded', 'closeCircuit'] },
        PROBE_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: ['stamp', 'endProbe'] },
          { guard: 'failureCounts', target: 'open', actions: ['recordFailure', 'endProbe', 'reopenCircuit'] },
          { actions: ['stamp', 'endProbe'] },
        ],
        RESTORED: { actions: ['forgetInFlight', 'resetTrials'] },
      },
    },
    missing: {
      // A model that comes back (pulled again) is judged afresh; nothing that fails meanwhile counts.
      entry: ['clearResidency', 'clearLoad', 'clearDegraded', 'clearCircuit', 'forgetEvidence'],
      on: {
        MODEL_MISSING: { actions: 'stamp' },
        MODEL_FOUND: { target: 'unloaded', actions: 'stamp' },
        // Another replica's verdict on a model this host does not have says nothing here.
        PEER_CIRCUIT: { actions: 'stamp' },
        LOAD_REQUESTED: { target: 'loading', actions: 'beginLoad' },
        LOAD_SUCCEEDED: { target: 'loaded', actions: 'loadMeasured' },
        PROBE_SUCCEEDED: { target: 'loaded', actions: 'probeSucceeded' },
        // A model deleted while loaded stays in memory (Ollama's runner keeps it) but answers 404: /api/ps
        // listing it says nothing about whether it is installed. Only /api/tags (MODEL_FOUND) brings it back.
        RECONCILED: { actions: 'stamp' },
        REQUEST_FAILED: { actions: 'endRequest' },
        LOAD_FAILED: { actions: 'stamp' },
        PROBE_FAILED: { actions: ['stamp', 'endProbe'] },
      },
    },
    unloading: {
      entry: ['clearLoad', 'clearDegraded'],
      on: {
        UNLOADED: { target: 'unloaded', actions: 'stamp' },
        LOAD_REQUESTED: { target: 'loading', actions: 'beginLoad' },
        REQUEST_SUCCEEDED: { actions: 'requestSucceeded' },
        REQUEST_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: 'requestFailed' },
          { guard: 'failureTrips', target: 'open', actions: ['requestFailed', 'openCircuit'] },
          { actions: 'requestFailed' },
        ],
        PROBE_SUCCEEDED: { actions: 'probeSucceeded' },
        PROBE_FAILED: [
          { guard: 'isMissingFailure', target: 'missing', actions: ['stamp', 'endProbe'] },
          { guard: 'failureTrips', target: 'open', actions: ['recordFailure', 'endProbe', 'openCircuit'] },
          { actions: ['recordFailure', 'endProbe'] },
        ],
        RECONCILED: [
          { guard: 'reportsGone', target: 'unloaded', actions: 'stamp' },
          { actions: 'residencyReported' },
        ],
        RESTORED: { target: 'unloaded', actions: 'forgetInFlight' },
      },
    },
  },
});

export type ModelMachine = typeof modelMachine;

export { circuitConfigFrom, initialContext, modelInputFrom, withFastContexts } from './model/context.ts';
export { failureFrom } from './model/failure.ts';
export {
  canAcceptRequest,
  expectedReadyInMs,
  type ModelSnapshot,
  type ModelStateLike,
  type ModelView,
  modelView,
} from './model/selectors.ts';
export type * from './model/types.ts';
