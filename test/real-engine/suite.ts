import { INSTALL_HINT, llamaInstalled } from './llama-binding.ts';

/**
 * Whether the real-engine tests can run here. On a developer machine without the nested install they are
 * skipped, saying so in the run's output and in their titles. `.ci/run` installs it and sets
 * RMM_REAL_ENGINE=required, under which a missing install fails the run instead of skipping quietly.
 */
export const realEngineAvailable = llamaInstalled();

if (!realEngineAvailable) {
  if (process.env['RMM_REAL_ENGINE'] === 'required') {
    throw new Error(`RMM_REAL_ENGINE=required but ${INSTALL_HINT}`);
  }
  // Once per test file, so a skipped real-engine suite is never mistaken for a pass.
  console.warn(`real-engine tests skipped: ${INSTALL_HINT}`);
}

/** A describe title that carries the reason when the suite is skipped. */
export function suiteTitle(title: string): string {
  return realEngineAvailable ? title : `${title} — SKIPPED: ${INSTALL_HINT}`;
}
