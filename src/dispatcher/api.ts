import type { JobStatus, JobSpec, MetricRecord, ResultRecord } from '../job/types.js';
import type { JobView, ListPage, ListQuery } from '../store/job-store.js';
import type { Capabilities } from '../scheduler/capabilities.js';
import type { SplitProgress } from '../split/split-progress.js';
import type { CostsReport } from '../budget/costs-report.js';
import type { DryRunOutcome } from '../budget/dry-run.js';

/**
 * What the dispatcher offers its front ends (HTTP API, SDK, CLI). The
 * in-process `Dispatcher` implements it; the HTTP `Client` mirrors the
 * same methods over the wire.
 */
export interface DispatcherApi {
  /** validates and stores one job; a known job_id returns the existing job (created=false) */
  submitJob(input: unknown): Promise<SubmitOutcome>;
  /** validates all first (error path like `jobs[3].program.imm`), then stores them in one batch */
  submitJobs(inputs: unknown[]): Promise<SubmitOutcome[]>;
  /** a split job's view has `progress`; a window job's has `parent_id` */
  getJob(jobId: string): Promise<JobStatusView | null>;
  /** with wait (seconds), waits up to that long for the result; null if not finished (or unknown) */
  getResult(jobId: string, opts?: { wait?: number }): Promise<ResultRecord | null>;
  cancel(jobId: string): Promise<'cancelled' | 'not_found' | 'finished'>;
  /** window jobs of split jobs are left out unless `children` is true */
  listJobs(query: JobListQuery): Promise<ListPage>;
  getMetrics(limit?: number): Promise<MetricsReport>;
  listSubstrates(): Promise<SubstrateView[]>;
  /** spend (this UTC month and day), the budget and what is left of it, the month's forecast (docs/costs.md) */
  getCosts(): Promise<CostsReport>;
  /** validates like submitJob and says where the job would run now and at what estimated cost; enqueues nothing */
  dryRunJob(input: unknown): Promise<DryRunOutcome>;
  /** dryRunJob for a batch (error paths like submitJobs') */
  dryRunJobs(inputs: unknown[]): Promise<DryRunOutcome[]>;
  close(): Promise<void>;
}

/** A job's status as the dispatcher shows it: the store's view plus split facts. */
export interface JobStatusView extends JobView {
  /** set on the window jobs of a split job */
  parent_id?: string;
  /** a split job's progress (live while it runs, final once finished) */
  progress?: SplitProgress;
}

export interface JobListQuery extends ListQuery {
  /** include the window jobs of split jobs (default false) */
  children?: boolean;
}

export interface SubmitOutcome {
  job_id: string;
  created: boolean;
  status: JobStatus;
}

export interface MetricsReport {
  /** newest first, the original get_metrics shape */
  metrics: MetricRecord[];
  /** aggregates per substrate over the returned records */
  substrates: Record<string, SubstrateAggregate>;
}

export interface SubstrateAggregate {
  jobs: number;
  succeeded: number;
  failed: number;
  avg_exec_time_ms: number;
  total_cost_usd: number;
  bytes_processed: number;
}

export interface SubstrateView {
  name: string;
  type: string;
  capabilities: Capabilities;
  healthy: boolean;
  /** circuit breaker state */
  circuit: 'closed' | 'open' | 'half_open';
  in_flight: number;
  /** moving average of measured round trip per batch, null before any measurement */
  measured_latency_ms: number | null;
  /** measured bytes per second, null before any measurement */
  measured_throughput_bps: number | null;
  /** the current policy's score for a reference job (default job fields, 64 bytes) */
  score: number | null;
  last_probe_at: string | null;
  last_error: string | null;
}

export type { JobSpec, CostsReport, DryRunOutcome };
