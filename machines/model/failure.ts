import type { Classification } from '../../src/policy/errors.ts';
import { countsAgainstCircuit } from '../../src/policy/errors.ts';
import type { FailureFields, ModelEvent } from './types.ts';

/** The failure fields of an event, from the taxonomy's classification (what the runtime sends). */
export function failureFrom(c: Classification, latencyMs?: number): FailureFields {
  const f: FailureFields = {
    errorClass: c.class,
    reason: c.reason,
    countsAgainstCircuit: c.countsAgainstCircuit,
    missing: c.missing,
  };
  if (latencyMs !== undefined) f.latencyMs = latencyMs;
  return f;
}

/** A load that passes its deadline fails like any transient load error. */
const LOAD_TIMEOUT: FailureFields = {
  errorClass: 'TRANSIENT',
  reason: 'load_timeout',
  countsAgainstCircuit: true,
};

/** The failure an event stands for, or undefined when it is not one. */
export function failureOf(e: ModelEvent): FailureFields | undefined {
  switch (e.type) {
    case 'REQUEST_FAILED':
    case 'LOAD_FAILED':
    case 'PROBE_FAILED':
      return e;
    case 'DEADLINE_REACHED':
      return LOAD_TIMEOUT;
    default:
      return undefined;
  }
}

/** Whether a failure counts: the event's own word if given, else the taxonomy's rule. */
export function counts(f: FailureFields | undefined): boolean {
  if (!f || f.missing === true) return false;
  return f.countsAgainstCircuit ?? countsAgainstCircuit(f.errorClass, f.reason);
}
