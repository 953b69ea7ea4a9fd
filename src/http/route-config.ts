import type { TSchema } from 'typebox';
import type { Flavour } from './errors.ts';

/** How a route documents one response status in /openapi.json. */
export interface ResponseDoc {
  description: string;
  schema?: TSchema;
  /** Default application/json. */
  contentType?: string;
}

export type ResponseDocs = Record<number, ResponseDoc>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Shape of this route's error bodies. Plain strings are accepted so route modules can declare
     * `{ flavour: 'rmm' }` without a cast; an unknown value falls back to the URL's flavour.
     */
    flavour?: Flavour | (string & {});
    /** No bearer token needed (only /healthz). */
    public?: boolean;
    /** false: not counted by the per-client rate limit (probes and scrapes). */
    rateLimit?: boolean;
    /** Response documentation for /openapi.json (not used for serialisation). */
    responses?: ResponseDocs;
  }
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
  }
}
