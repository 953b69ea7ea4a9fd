import { Type } from 'typebox';
import { TASK_TYPES, URGENCIES } from '../../config/schema.ts';

/** Schemas shared by several route families. Every route validates with these and /openapi.json shows them. */

export const UrgencySchema = Type.Enum([...URGENCIES], {
  description: 'interactive (5 s deadline), background (30 s) or batch (quality first)',
});
export const TaskTypeSchema = Type.Enum([...TASK_TYPES], {
  description: 'skips classification and uses this task type',
});

/** Headers the drop-in routes read; any other header is allowed through. */
export const RoutingHeadersSchema = Type.Object({
  'x-rmm-urgency': Type.Optional(UrgencySchema),
  'x-rmm-task-type': Type.Optional(TaskTypeSchema),
  'x-rmm-deadline-ms': Type.Optional(
    Type.String({
      pattern: '^[0-9]{1,9}$',
      description:
        "the client's own deadline (ms): past it the request fails with RMM_DEADLINE_EXCEEDED; without it a late answer is waited for",
    }),
  ),
});

/** Our own error body (RmmError.toJSON()), used by /api/echo/* and the ops routes. */
export const RmmErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable code, e.g. RMM_NO_MODEL_AVAILABLE' }),
      message: Type.String(),
      hint: Type.String(),
    }),
  },
  { description: 'error with a stable code; more fields may follow the hint' },
);

/** Ollama's error body. */
export const OllamaErrorSchema = Type.Object({ error: Type.String() });

/** OpenAI's error body; `code` carries our stable RMM_ code. */
export const OpenAIErrorSchema = Type.Object({
  error: Type.Object({
    message: Type.String(),
    type: Type.String(),
    param: Type.Null(),
    code: Type.Union([Type.String(), Type.Null()]),
  }),
});

/** Object whose fields are documented but not enumerated (the manager's views grow over time). */
export const OpenObject = (description: string) =>
  Type.Object({}, { description, additionalProperties: true });
