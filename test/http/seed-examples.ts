/**
 * The seed document's curl (+ jq) examples, copied verbatim (shared/seed/000_112c1b8a6ee46dad.txt).
 * The test swaps only `localhost:8309` for the test server's port.
 */
export const SEED_EXAMPLES = {
  query: `curl -X POST http://localhost:8309/api/echo/resilient/query \\
  -H "Content-Type: application/json" \\
  -d '{
    "query": "Generate a Python function to parse JSON",
    "task_type": "code_generation",
    "urgency": "interactive"
  }'`,
  status: 'curl -s http://localhost:8309/api/echo/resilient/status | jq .',
  models: 'curl -s http://localhost:8309/api/echo/resilient/models | jq .',
  health: `curl -X POST http://localhost:8309/api/echo/resilient/health \\
  -H "Content-Type: application/json" \\
  -d '{"model_name": "qwen2.5-coder:32b", "force_check": true}'`,
  preload: `curl -X POST http://localhost:8309/api/echo/resilient/preload \\
  -H "Content-Type: application/json" \\
  -d '{"model_name": "deepseek-r1:32b"}'`,
  dashboard: `curl -s http://localhost:8309/api/echo/resilient/status | jq '{
  loaded_models: [.models[] | select(.state == "loaded") | .id],
  circuit_problems: [.circuits[] | select(.available == false)],
  total_models: (.models | length)
}'`,
  live: `curl -X POST http://localhost:8309/api/echo/resilient/query \\
  -H "Content-Type: application/json" \\
  -d '{"query": "Test the resilient system", "urgency": "interactive"}'`,
} as const;
