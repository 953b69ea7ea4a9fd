/**
 * The last request bodies the simulated host received, so a test can see exactly what reached "Ollama"
 * through the manager (GET /__sim/requests). A ring: memory stays bounded however long the host runs.
 */
export interface LoggedRequest {
  seq: number;
  method: string;
  path: string;
  /** The body as parsed JSON, or its raw text when it is not JSON. */
  body: unknown;
}

export class RequestLog {
  private readonly ring: LoggedRequest[] = [];
  private seq = 0;

  constructor(private readonly capacity = 200) {}

  record(method: string, path: string, raw: string): void {
    if (raw === '') return;
    let body: unknown = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // kept as text: a malformed body is worth seeing too
    }
    this.ring.push({ seq: ++this.seq, method, path, body });
    if (this.ring.length > this.capacity) this.ring.shift();
  }

  list(path?: string): LoggedRequest[] {
    return path ? this.ring.filter((r) => r.path === path) : [...this.ring];
  }

  clear(): void {
    this.ring.length = 0;
  }
}
