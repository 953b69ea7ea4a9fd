import { TASK_TYPES, type TaskType } from '../config/schema.ts';

/** Short names people type for the virtual models (`auto:code`, ...), read by the HTTP layer and the journey. */
const TASK_ALIASES: Readonly<Record<string, TaskType>> = {
  code: 'code_generation',
  review: 'code_review',
  reason: 'reasoning',
  fast: 'fast_response',
  quick: 'fast_response',
};

const TASKS: ReadonlySet<string> = new Set(TASK_TYPES);

/** The task type a name after `auto:` stands for (a task type or an alias), or undefined. */
export function taskFromAlias(name: string): TaskType | undefined {
  return TASKS.has(name) ? (name as TaskType) : TASK_ALIASES[name];
}
