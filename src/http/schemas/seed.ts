import { Type } from 'typebox';
import { OpenObject, TaskTypeSchema, UrgencySchema } from './common.ts';

/** The seed document's endpoints (/api/echo/*): same paths and field names as the seed promised. */

const ModelField = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'a catalog model (tried first, its chain as fallback), "auto" or "auto:<task_type>"',
});

export const ResilientQueryBody = Type.Object(
  {
    query: Type.String({ minLength: 1, description: 'the prompt' }),
    task_type: Type.Optional(TaskTypeSchema),
    urgency: Type.Optional(UrgencySchema),
    model: Type.Optional(ModelField),
    stream: Type.Optional(
      Type.Boolean({ description: 'true: NDJSON of {response, done:false} pieces, then one final object' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The older plain endpoint. Unknown fields are accepted and ignored: callers written for the first
 * Echo Brain send their own extras, and rejecting them would break them for nothing.
 */
export const LegacyQueryBody = Type.Object(
  {
    query: Type.String({ minLength: 1 }),
    task_type: Type.Optional(TaskTypeSchema),
    urgency: Type.Optional(UrgencySchema),
    model: Type.Optional(ModelField),
  },
  { additionalProperties: true },
);

export const HealthBody = Type.Object(
  {
    model_name: Type.String({ minLength: 1, maxLength: 200 }),
    force_check: Type.Optional(Type.Boolean({ description: 'probe now instead of using a cached result' })),
  },
  { additionalProperties: false },
);

export const PreloadBody = Type.Object(
  {
    model_name: Type.String({ minLength: 1, maxLength: 200 }),
    force: Type.Optional(
      Type.Boolean({
        description: 'may evict the warm set to make room (refused otherwise, naming what it would evict)',
      }),
    ),
  },
  { additionalProperties: false },
);

const AttemptSchema = Type.Object({
  model: Type.String(),
  host: Type.String(),
  outcome: Type.String(),
  error_class: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
  latency_ms: Type.Number(),
  retry: Type.Integer(),
});

export const CompletionResponse = Type.Object({
  request_id: Type.String(),
  response: Type.String(),
  model_used: Type.String(),
  host: Type.String(),
  fallback_used: Type.Boolean(),
  attempts: Type.Integer(),
  latency_ms: Type.Number(),
  selection_reason: Type.String(),
  task_type: Type.String(),
  urgency: Type.String(),
  classification: OpenObject('task type, confidence, matched keywords and where the task type came from'),
  attempts_detail: Type.Array(AttemptSchema),
  metrics: OpenObject("the final upstream chunk's figures: done_reason, durations (ns), token counts"),
});

export const LegacyQueryResponse = Type.Object({
  response: Type.String(),
  model_used: Type.String(),
  fallback_used: Type.Boolean(),
  latency_ms: Type.Number(),
  task_type: Type.String(),
  request_id: Type.String(),
});

export const StatusResponse = Type.Object({
  backend: Type.Enum(['real', 'simulated']),
  started_at: Type.String(),
  uptime_s: Type.Number(),
  models: Type.Array(OpenObject('id, name, host, state (e.g. loaded), size_gb, chains, latency figures')),
  circuits: Type.Array(OpenObject('id, model, host, state, available, is_open, failure_count, retry_at')),
  hosts: Type.Array(
    OpenObject('name, url, backend, reachable, vram_budget_gb, vram_used_gb, loaded, loading'),
  ),
  recent_decisions: Type.Array(OpenObject('at, request_id, kind, message')),
  model_state: OpenObject("the seed's model_state.json view: circuits and saved_at"),
});

export const ModelsResponse = Type.Object({ models: Type.Array(OpenObject('one model on one host')) });
export const HealthResponse = OpenObject(
  'model_name, host, healthy, tested, state, cached, checked_at, latency_ms, detail',
);
export const PreloadResponse = OpenObject(
  'model_name, host, status (loaded|loading|already_loaded|refused), evicted, would_evict (when refused), reason',
);
