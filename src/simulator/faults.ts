import { normaliseName } from './catalog.ts';
import { Prng } from './prng.ts';
import { FAULT_KINDS, type Fault, type FaultKind, type FaultSpec } from './types.ts';

/** A fault spec the simulator refuses; `field` names the offending key. */
export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

const COMMON = ['kind', 'model', 'rate', 'count'];
const PARAMS: Record<FaultKind, string[]> = {
  refuse: [],
  hang: [],
  latency: ['ms'],
  slow_tokens: ['factor'],
  stall_after_first_token: [],
  cut_stream: ['after_tokens'],
  http_500: ['message', 'after_tokens'],
  busy_503: [],
  missing: [],
  oom_on_load: [],
  load_timeout: ['ms'],
  garbage: [],
  host_restart: ['down_ms'],
};
const REQUIRED: Partial<Record<FaultKind, string>> = { latency: 'ms', slow_tokens: 'factor' };

/** Checks an untrusted fault description (admin HTTP body or handle.faults.add) and normalises it. */
export function validateFaultSpec(input: unknown): FaultSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new FaultSpecError('body', 'must be a JSON object like {"kind":"refuse"}');
  }
  const raw = input as Record<string, unknown>;
  const kind = raw['kind'];
  if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new FaultSpecError('kind', `must be one of ${FAULT_KINDS.join(', ')}`);
  }
  const k = kind as FaultKind;
  const allowed = [...COMMON, ...PARAMS[k]];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key))
      throw new FaultSpecError(key, `unknown for kind ${k}; allowed: ${allowed.join(', ')}`);
  }
  const spec: FaultSpec = { kind: k };
  if (raw['model'] !== undefined) {
    if (typeof raw['model'] !== 'string' || raw['model'] === '') {
      throw new FaultSpecError('model', 'must be a non-empty model name');
    }
    spec.model = normaliseName(raw['model']);
  }
  if (raw['rate'] !== undefined) spec.rate = number(raw, 'rate', { min: 0, max: 1 });
  if (raw['count'] !== undefined) spec.count = number(raw, 'count', { min: 1, integer: true });
  if (raw['ms'] !== undefined) spec.ms = number(raw, 'ms', { min: 0 });
  if (raw['factor'] !== undefined) spec.factor = number(raw, 'factor', { min: 0, exclusive: true });
  if (raw['after_tokens'] !== undefined)
    spec.after_tokens = number(raw, 'after_tokens', { min: 0, integer: true });
  if (raw['down_ms'] !== undefined) spec.down_ms = number(raw, 'down_ms', { min: 0 });
  if (raw['message'] !== undefined) {
    if (typeof raw['message'] !== 'string' || raw['message'] === '') {
      throw new FaultSpecError('message', 'must be a non-empty string');
    }
    spec.message = raw['message'];
  }
  const required = REQUIRED[k];
  if (required && raw[required] === undefined)
    throw new FaultSpecError(required, `is required for kind ${k}`);
  // A restart is an event, not a condition: unless told otherwise it happens once.
  if (k === 'host_restart' && spec.count === undefined && spec.rate === undefined) spec.count = 1;
  return spec;
}

function number(
  raw: Record<string, unknown>,
  field: string,
  rule: { min: number; max?: number; integer?: boolean; exclusive?: boolean },
) {
  const v = raw[field];
  const bad = (why: string) => new FaultSpecError(field, why);
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('must be a number');
  if (rule.integer && !Number.isInteger(v)) throw bad('must be an integer');
  if (rule.exclusive ? v <= rule.min : v < rule.min)
    throw bad(`must be ${rule.exclusive ? '>' : '>='} ${rule.min}`);
  if (rule.max !== undefined && v > rule.max) throw bad(`must be <= ${rule.max}`);
  return v;
}

/**
 * The installed faults. `take` is asked at the moment a fault would act (a request arriving, a load
 * starting, tokens being generated), so `count` counts only the requests it actually affected.
 */
export class FaultBook {
  private faults: Fault[] = [];
  private nextId = 1;
  private prng: Prng;

  constructor(private readonly seed: number) {
    this.prng = new Prng(seed);
  }

  add(input: FaultSpec | unknown): string {
    const spec = validateFaultSpec(input);
    const id = `f${this.nextId++}`;
    const fault: Fault = { ...spec, id, fired: 0 };
    if (spec.count !== undefined) fault.remaining = spec.count;
    this.faults.push(fault);
    return id;
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** Faults, ids and the PRNG back to their start. */
  reset(): void {
    this.faults = [];
    this.nextId = 1;
    this.prng = new Prng(this.seed);
  }

  /**
   * The first installed fault of `kind` that applies to a request for `model` (undefined: a request
   * naming no model, which only host-wide faults match) and fires this time; records the firing.
   */
  take(kind: FaultKind, model: string | undefined): Fault | undefined {
    for (const fault of this.faults) {
      if (fault.kind !== kind || !this.inScope(fault, model)) continue;
      if (fault.rate !== undefined && !(this.prng.next() < fault.rate)) continue;
      fault.fired++;
      if (fault.remaining !== undefined && --fault.remaining <= 0) this.remove(fault.id);
      return { ...fault };
    }
    return undefined;
  }

  /** A `missing` fault with no rate or count hides the model from listings too. */
  hidesModel(model: string): boolean {
    return this.faults.some(
      (f) => f.kind === 'missing' && f.rate === undefined && f.count === undefined && this.inScope(f, model),
    );
  }

  private inScope(fault: Fault, model: string | undefined): boolean {
    if (fault.model === undefined) return true;
    return model !== undefined && normaliseName(model) === fault.model;
  }
}
