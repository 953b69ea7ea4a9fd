import type { ChainEntry, TaskType } from '../config/schema.ts';
import type { Classification, CompletionRequest } from '../manager/completion.ts';
import { RmmError } from '../manager/errors.ts';
import { withFields } from '../with-fields.ts';
import { classifyTask } from './classify.ts';
import { taskFromAlias } from './task-aliases.ts';

/** The chains in effect, by task type (config chains, or chains built from the fleet's models). */
export interface ChainBook {
  get(task: string): ChainEntry[] | undefined;
  tasks(): string[];
}

/** What a request asks for, resolved once: its task type (and why), and the model it names, if any. */
export interface RequestTarget {
  classification: Classification;
  taskType: TaskType;
  /** A concrete model the caller named: tried first, then its task's chain. */
  namedModel?: string;
}

/**
 * Resolves `model` (`auto`, `auto:<task or alias>`, or a concrete name) and `taskType` into the chain to
 * use. The text is classified only when nothing else says what the task is: a named model brings its own
 * chain (the first chain that holds it), so a request that names a model costs no classification.
 */
export function resolveTarget(chains: ChainBook, request: CompletionRequest): RequestTarget {
  const model = request.model;
  const named = model !== undefined && model !== 'auto' && !model.startsWith('auto:') ? model : undefined;
  if (request.taskType) return given(request.taskType, named);
  if (model?.startsWith('auto:')) {
    const alias = model.slice(5);
    const task = (taskFromAlias(alias) ?? alias) as TaskType;
    if (chains.get(task)) return given(task);
    throw new RmmError(
      'RMM_UNKNOWN_MODEL',
      `"${model}" names no task type; use auto or auto:<${chains.tasks().join('|')}>`,
    );
  }
  if (named !== undefined) {
    const home = homeChain(chains, named);
    return {
      classification: { task_type: home, confidence: 1, matched: [], source: 'model' },
      taskType: home,
      namedModel: named,
    };
  }
  const text = request.prompt ?? lastUserText(request) ?? '';
  const found = classifyTask(text);
  return {
    classification: withFields(found, { source: found.confidence > 0 ? 'classified' : 'default' } as const),
    taskType: found.task_type,
  };
}

function given(task: TaskType, named?: string): RequestTarget {
  return {
    classification: { task_type: task, confidence: 1, matched: [], source: 'given' },
    taskType: task,
    ...(named !== undefined && { namedModel: named }),
  };
}

/** The first chain that lists the model, else `general`. */
export function homeChain(chains: ChainBook, model: string): TaskType {
  for (const task of chains.tasks()) {
    if (chains.get(task)?.some((e) => e.model === model)) return task as TaskType;
  }
  return 'general';
}

function lastUserText(request: CompletionRequest): string | undefined {
  const messages = request.messages;
  if (!messages) return undefined;
  for (let i = messages.length - 1; i >= 0; i--)
    if (messages[i]!.role === 'user') return messages[i]!.content;
  return undefined;
}
