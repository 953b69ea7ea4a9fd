/**
 * The few parts of autocannon 8 the bench uses (the package ships no types). The client events come from
 * lib/httpClient.js: 'request' just before a request is written, 'body' per body chunk, 'response' when
 * a response completes (pipelining 1: one request in flight per client).
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface AutocannonClient extends EventEmitter {
    on(event: 'request', listener: () => void): this;
    on(event: 'body', listener: (chunk: Buffer) => void): this;
    on(event: 'response', listener: (status: number, bytes: number, ms: number) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  interface Options {
    url: string;
    method?: string;
    body?: string;
    headers?: Record<string, string>;
    connections?: number;
    pipelining?: number;
    duration?: number;
    amount?: number;
    timeout?: number;
    setupClient?: (client: AutocannonClient) => void;
  }

  interface Result {
    requests: { total: number; average: number };
    non2xx: number;
    errors: number;
    timeouts: number;
    duration: number;
    '2xx': number;
  }

  function autocannon(options: Options): Promise<Result> & EventEmitter;
  export default autocannon;
  export type { AutocannonClient, Options, Result };
}
