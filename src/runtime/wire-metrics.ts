import type { Config, TaskType, Urgency } from '../config/schema.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { ModelStateChange } from './fleet.ts';
import type { JourneyObserver } from './journey.ts';
import type { LoadObserver } from './loader.ts';

/**
 * Connects the runtime's observations to the Prometheus metrics; one object serves every observer role.
 * With the urgencies' deadlines it also counts deadline outcomes (met, late, failed) per urgency.
 */
export function wireMetrics(
  m: Metrics,
  deadlines?: Readonly<Config['deadlines']>,
): JourneyObserver & LoadObserver & { stateChange(c: ModelStateChange): void } {
  return {
    request(model: string, outcome: string, taskType: TaskType, urgency: Urgency, seconds: number) {
      m.requestsTotal.inc({ model, outcome, task_type: taskType, urgency });
      m.requestDuration.observe({ model, outcome }, seconds);
      const deadline = deadlines?.[`${urgency}_s`];
      // A cancelled request ended on the client's word: it neither met nor missed anything.
      if (deadline !== undefined && outcome !== 'cancelled') {
        const result = outcome !== 'success' ? 'failed' : seconds <= deadline ? 'met' : 'late';
        m.deadlineOutcomes.inc({ urgency, result });
      }
    },
    attempt(model: string, outcome: string) {
      m.attemptsTotal.inc({ model, outcome });
    },
    fallback(taskType: TaskType) {
      m.fallbacksTotal.inc({ task_type: taskType });
    },
    retry(model: string) {
      m.retriesTotal.inc({ model });
    },
    load(model: string, _host: string, outcome: 'success' | 'failure', seconds: number) {
      m.loadsTotal.inc({ model, outcome });
      if (outcome === 'success') m.loadDuration.observe({ model }, seconds);
    },
    eviction(model: string, _host: string, reason: string) {
      m.evictionsTotal.inc({ model, reason: reason.startsWith('make room') ? 'make_room' : 'other' });
    },
    stateChange(change: ModelStateChange) {
      if (change.to === 'open')
        m.circuitOpenedTotal.inc({ model: change.context.model, host: change.context.host });
    },
  };
}
