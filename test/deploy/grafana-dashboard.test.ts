import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportedSeriesNames, metricsIn } from './metric-names.ts';

// Grafana's reference to the dashboard's data source variable (not a JS template).
const DATASOURCE_VARIABLE = '$' + '{datasource}';
const FILE = join(import.meta.dirname, '../../deploy/grafana-dashboard.json');

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr: string; refId: string }>;
  datasource?: { uid: string };
}

describe('deploy/grafana-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(FILE, 'utf8')) as {
    uid: string;
    title: string;
    schemaVersion: number;
    panels: Panel[];
    templating: { list: Array<{ name: string; type: string; query: string }> };
  };
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  const exprs = (p: Panel) => (p.targets ?? []).map((t) => t.expr).join('\n');
  const panelReading = (metric: string) =>
    panels.filter((p) => exprs(p).includes(metric)).map((p) => p.title);

  it('is a dashboard Grafana can import: uid, title, schema version, a Prometheus data source variable', () => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.title).toBe('Resilient Model Manager');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    for (const p of panels) {
      expect(p.datasource?.uid, p.title).toBe(DATASOURCE_VARIABLE);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
  });

  it('has panels for model states, circuits, VRAM, latency and deadline hits', () => {
    expect(panelReading('rmm_model_state')).toContain('Model states');
    expect(panelReading('rmm_circuit_state')).toContain('Circuits');
    expect(panelReading('rmm_vram_used_bytes')).toContain('VRAM used / budget');
    expect(panelReading('rmm_request_duration_seconds_bucket')).toContain('Request latency');
    expect(panelReading('rmm_deadline_outcomes_total')).toContain('Deadline hits');
  });

  it('reads only metrics the service exports', async () => {
    const known = await exportedSeriesNames();
    const used = panels.flatMap((p) => metricsIn(exprs(p)).map((m) => `${p.title}: ${m}`));
    expect(used.length).toBeGreaterThan(15);
    expect(used.filter((u) => !known.has(u.split(': ')[1]!))).toEqual([]);
  });

  it('lays panels out on the 24-column grid, with unique ids and ref ids', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      const refs = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refs).size, p.title).toBe(refs.length);
    }
  });
});
