import { runFailover } from './failover.ts';
import { closeHttp } from './lib/http.ts';
const r = await runFailover({ quick: true, log: console.log });
console.log(JSON.stringify(r, null, 1));
await closeHttp();
