/** Where an upstream call was when it failed: the error taxonomy treats each phase differently. */
export type Phase = 'connect' | 'load' | 'first_token' | 'mid_stream';

/** An upstream failure together with the phase it happened in. `cause` is what the client threw. */
export class AttemptError extends Error {
  override readonly name = 'AttemptError';
  constructor(
    readonly phase: Phase,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}
