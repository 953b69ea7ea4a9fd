/** Ollama's exact error texts (see /work/shared/ollama-behaviour.md); some differ by version. */

/** Two spaces after the full stop, as in Ollama's ErrMaxQueue. */
export const QUEUE_FULL = 'server busy, please try again.  maximum pending requests exceeded';

export const MISSING_BODY = 'missing request body';

export function modelNotFound(name: string): string {
  return `model '${name}' not found`;
}

/** A model whose files are gone when a completion asks for it (Ollama's scheduler, fs.ErrNotExist). */
export function modelNotPulled(name: string): string {
  return `model "${name}" not found, try pulling it first`;
}

/** The runner-crash text Ollama returns for a failed completion. */
export const RUNNER_ERROR = 'an error was encountered while running the model: unexpected EOF';

/** "0.12.0" → [0, 12, 0]; unparseable parts count as 0. */
function versionParts(version: string): [number, number] {
  const [major = '0', minor = '0'] = version.split('.');
  return [Number.parseInt(major, 10) || 0, Number.parseInt(minor, 10) || 0];
}

/** Releases from 0.30 on run llama-server and word their load errors after it. */
function usesLlamaServer(version: string): boolean {
  const [major, minor] = versionParts(version);
  return major > 0 || minor >= 30;
}

const GIB = 1024 ** 3;

export function outOfMemoryText(version: string, requiredBytes: number, availableBytes: number): string {
  if (usesLlamaServer(version)) return 'unable to load full model on GPU';
  const gib = (n: number) => (Math.max(0, n) / GIB).toFixed(1);
  return `model requires more system memory (${gib(requiredBytes)} GiB) than is available (${gib(availableBytes)} GiB)`;
}

export function loadTimeoutText(version: string): string {
  return usesLlamaServer(version)
    ? 'timed out waiting for llama-server to start - context deadline exceeded'
    : 'timed out waiting for llama runner to start - progress 0.00 - ';
}
