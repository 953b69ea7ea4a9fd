import { TASK_TYPES, type TaskType } from '../config/schema.ts';
import { taskFromAlias } from '../policy/task-aliases.ts';

/**
 * What a client may put in `model`: a catalog name (with Ollama's `:latest` implied when no tag is given,
 * and case ignored, as Ollama does), `auto`, or `auto:<task>` to route by a task's chain.
 */
export interface ResolvedModel {
  /** Canonical catalog name, `auto`, or `auto:<task_type>`: what the manager receives. */
  model: string;
  /** Set by `auto:<task>`. */
  taskType?: TaskType;
  virtual: boolean;
}

export function resolveModelName(name: string, catalog: readonly string[]): ResolvedModel | undefined {
  const lower = name.trim().toLowerCase();
  // Some clients append ':latest' to every name they send.
  if (lower === 'auto' || lower === 'auto:latest') return { model: 'auto', virtual: true };
  if (lower.startsWith('auto:')) {
    const rest = lower.slice(5);
    const task = taskFromAlias(rest);
    return task ? { model: `auto:${task}`, taskType: task, virtual: true } : undefined;
  }
  if (catalog.includes(name)) return { model: name, virtual: false };
  const withTag = lower.includes(':') ? lower : `${lower}:latest`;
  const found = catalog.find((m) => m.toLowerCase() === withTag || m.toLowerCase() === lower);
  return found ? { model: found, virtual: false } : undefined;
}

/** `auto` and one `auto:<task>` per task type, as listed by /api/tags and /v1/models. */
export function virtualModelNames(): string[] {
  return ['auto', ...TASK_TYPES.map((t) => `auto:${t}`)];
}

/** Everything a client may send, for "choose one of" messages. */
export function modelChoices(catalog: readonly string[]): string[] {
  return [...catalog, ...virtualModelNames()];
}
