/** Types of scripts/dist-state.js for the TypeScript that imports it (the test setup). */
export function distState(root?: string): Promise<{ state: 'missing' | 'stale' | 'fresh'; file?: string }>;
