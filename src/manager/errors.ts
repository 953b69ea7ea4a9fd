/**
 * Every error the service can return, with a stable code and the HTTP status it maps to.
 * Codes are never reused or renamed: scripts match on them. Messages say what to do next.
 */
export const ERROR_CATALOGUE = {
  RMM_BAD_REQUEST: { status: 400, hint: 'fix the request body as the message says' },
  RMM_VALIDATION: { status: 400, hint: 'a field is missing or has the wrong type' },
  RMM_BODY_TOO_LARGE: { status: 413, hint: 'send a smaller body or raise server.body_limit_bytes' },
  RMM_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    hint: 'send the body as JSON with Content-Type: application/json',
  },
  RMM_BODY_TIMEOUT: { status: 408, hint: 'the body stopped arriving; send it whole, or check the network' },
  RMM_UNAUTHORIZED: { status: 401, hint: 'send Authorization: Bearer <RMM_API_KEY>' },
  RMM_RATE_LIMITED: { status: 429, hint: 'slow down; see the retry-after header' },
  RMM_NOT_FOUND: { status: 404, hint: 'check the path; GET /openapi.json lists every route' },
  RMM_METHOD_NOT_ALLOWED: { status: 405, hint: 'use a method from the allow header' },
  RMM_UNKNOWN_MODEL: { status: 404, hint: 'use a model from GET /api/echo/resilient/models, or "auto"' },
  RMM_UNKNOWN_TASK_TYPE: { status: 400, hint: 'use one of the configured task types' },
  RMM_UNSUPPORTED_CAPABILITY: {
    status: 400,
    hint: 'the request needs a capability (tools, thinking, vision, insert, embedding) no candidate has; name a model that has it',
  },
  RMM_CONTEXT_TOO_LONG: {
    status: 400,
    hint: 'the prompt is longer than every candidate model’s context; shorten it or name a model with a larger context',
  },
  RMM_NO_MODEL_AVAILABLE: {
    status: 503,
    hint: 'every candidate failed or is unavailable; see attempts_detail',
  },
  RMM_HOSTS_DOWN: {
    status: 503,
    hint: 'every host with a model for this request is down; see hosts[].health in GET /api/echo/resilient/status',
  },
  RMM_DEADLINE_EXCEEDED: { status: 504, hint: 'no model answered within the deadline; use a longer urgency' },
  RMM_UPSTREAM_CLIENT_ERROR: { status: 400, hint: 'Ollama rejected the request itself; fix the request' },
  RMM_STREAM_BROKEN: { status: 502, hint: 'the model failed after the first token; retry the request' },
  RMM_CANCELLED: { status: 499, hint: 'the client went away' },
  RMM_NOT_READY: { status: 503, hint: 'no model can take traffic yet; see GET /api/echo/resilient/status' },
  RMM_INTERNAL: { status: 500, hint: 'a bug: please report it with the request id' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class RmmError extends Error {
  override readonly name = 'RmmError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = ERROR_CATALOGUE[code].status;
  }

  toJSON() {
    return {
      error: {
        code: this.code,
        message: this.message,
        hint: ERROR_CATALOGUE[this.code].hint,
        ...this.details,
      },
    };
  }
}
