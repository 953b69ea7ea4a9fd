import type { ChaosBenchResult } from '../chaos.ts';
import type { FailoverResult } from '../failover.ts';
import type { ProfileSummary } from '../lib/cpu-profile.ts';
import type { MachineFacts } from '../lib/machine.ts';
import type { OverheadResult } from '../overhead.ts';
import type { ReplicasBenchResult } from '../replicas.ts';
import type { SchedulerResult } from '../scheduler/index.ts';
import type { SimulationBenchResult } from '../simulation.ts';
import type { SoakResult } from '../soak.ts';

/** What one `npm run bench` writes to bench/results/latest.json. */
export interface BenchResults {
  started_at: string;
  finished_at: string;
  command: string;
  quick: boolean;
  machine: MachineFacts;
  git: string;
  overhead?: OverheadResult;
  profile?: ProfileSummary;
  profile_streaming?: ProfileSummary;
  failover?: FailoverResult;
  scheduler?: SchedulerResult;
  simulation?: SimulationBenchResult;
  chaos?: ChaosBenchResult;
  soak?: SoakResult;
  replicas?: ReplicasBenchResult;
  close_problems: string[];
  errors: Record<string, string>;
  /** Benches not run this time, carried over from the previous results file: bench → that run's commit. */
  carried?: Record<string, string>;
  /** The targets of the run before this one (name → value and commit), for the "previous" column. */
  previous?: { git: string; targets: Record<string, string | number> };
}
