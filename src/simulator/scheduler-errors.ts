/** A scheduling failure Ollama reports with an HTTP status (503 queue full, 500 OOM or load timeout). */
export class SchedulerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The request went away (client disconnect) or the host restarted under it. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}
