/**
 * The engine's test endpoints, typed, for tests that drive it over HTTP (in-process or child process):
 * read its real measurements, and hold completions at a chosen point to kill it there.
 */

export interface EngineModelState {
  name: string;
  state: 'unloaded' | 'loading' | 'loaded';
  in_flight: number;
  waiting: number;
  loads: number;
  /** The last load's wall time (model file + context), as the engine measured it. */
  last_load_ms: number | null;
  /** Bytes of model and context memory while loaded (what /api/ps reports), else 0. */
  size: number;
  context_length: number;
}

export interface EngineState {
  gate: { pause_after_chunks: number | null; paused: number };
  models: EngineModelState[];
}

export async function engineState(url: string): Promise<EngineState> {
  const res = await fetch(`${url}/__engine/state`);
  if (!res.ok) throw new Error(`GET /__engine/state: ${res.status} ${await res.text()}`);
  return (await res.json()) as EngineState;
}

/** One model's state, or undefined before the engine has seen a request for it. */
export async function modelState(url: string, name: string): Promise<EngineModelState | undefined> {
  return (await engineState(url)).models.find((m) => m.name === name);
}

/**
 * From now on every completion stops before its (n+1)-th chunk until `releaseAll` (n = 0: before the
 * first token, with no headers sent). Wait for `engineState(url).gate.paused` to see requests arrive there.
 */
export async function holdAfterChunks(url: string, n: number): Promise<void> {
  await setGate(url, n);
}

/** Opens the gate: held completions go on, new ones are not held. */
export async function releaseAll(url: string): Promise<void> {
  await setGate(url, null);
}

async function setGate(url: string, pause: number | null): Promise<void> {
  const res = await fetch(`${url}/__engine/gate`, {
    method: 'POST',
    body: JSON.stringify({ pause_after_chunks: pause }),
  });
  if (!res.ok) throw new Error(`POST /__engine/gate: ${res.status} ${await res.text()}`);
}
