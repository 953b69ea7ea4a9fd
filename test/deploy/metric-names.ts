import { createMetrics } from '../../src/observability/metrics.ts';

/** Every series name the service exports (histograms with their _bucket, _sum and _count). */
export async function exportedSeriesNames(): Promise<Set<string>> {
  const metrics = createMetrics({ defaultMetrics: true });
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

/** Metric names a PromQL expression reads (ours and the Node.js/process ones). */
export function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:rmm|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}
