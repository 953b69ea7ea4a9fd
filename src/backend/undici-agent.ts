import AgentClass from 'undici/lib/dispatcher/agent.js';

/**
 * undici's connection pool, imported from its own module rather than from the package's index: the index
 * loads everything undici has (fetch, WebSocket, cookies, mocks, caches, the SQLite cache store) on first
 * import, a third of a restart's package initialisation, and the service needs the pool and its dispatch
 * API only. Same class, so the types are the package's.
 */
export const Agent = AgentClass;
export type { Dispatcher } from 'undici';
