/**
 * State colours, the dashboard's own (src/http/dashboard/assets/style.css, `--<state>` variables) so a
 * diagram and the live dashboard agree at a glance. test/visualize/diagrams.test.ts fails if they drift.
 */
export const STATE_COLOURS: Readonly<Record<string, string>> = Object.freeze({
  unloaded: '#6e7781',
  loading: '#0969da',
  loaded: '#1a7f37',
  degraded: '#9a6700',
  open: '#cf222e',
  halfOpen: '#8250df',
  missing: '#3d444d',
  unloading: '#1b7c83',
});

/** For states the dashboard has no colour for (the supervisor's, nested states). */
export const NEUTRAL_COLOUR = '#57606a';
export const INK = '#1f2328';
export const MUTED = '#59636e';

export function stateColour(key: string): string {
  return STATE_COLOURS[key] ?? NEUTRAL_COLOUR;
}
