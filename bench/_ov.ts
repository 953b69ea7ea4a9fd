import { runOverhead } from './overhead.ts';
const r = await runOverhead({ quick: true, log: console.log });
console.log(JSON.stringify({ ratios: r.ratios, targets: r.targets }, null, 1));
for (const c of r.cells) console.log(c.mode, c.connections, c.target, c.req_per_s, c.latency.p50_us, c.latency.p99_us, c.cpu_us_per_req, c.backend_cpu_us_per_req, c.failed);
