import type { OpSpec, OpResult } from '../ops/types.js';
import type { ErrorBody, ErrorCode } from '../errors.js';
import type { SplitSpec } from './split-spec.js';
import type { SplitProgress } from '../split/split-progress.js';

/**
 * A program after normalisation (contracts §2): always an `ops` list, exactly one
 * data source, numeric offset, `length` null meaning "to the end".
 * This is the form stored in job stores and sent to substrates (JSON-safe).
 */
export interface ProgramSpec {
  ops: OpSpec[];
  /** true when the submitter used the single-`op` shorthand: result is then one object, not an array */
  single: boolean;
  data?: string;        // base64, inline
  data_url?: string;    // http(s) URL, or the dispatcher's own /v1/blobs/<id>
  blob?: string;        // blob id in the dispatcher's blob store
  offset: number;
  length: number | null;
  fnv_state?: string;   // 16 lowercase hex digits
}

/** A job after normalisation: original ComputeJob field names, aliases resolved, defaults filled. */
export interface JobSpec {
  job_id: string;
  program: ProgramSpec;
  required_memory_mb: number;
  required_duration_s: number;
  requires_gpu: boolean;
  requires_state: boolean;
  priority: number;
  timeout_s: number;
  created_at: string;
  metadata: Record<string, unknown>;
  /** substrate names (or types) the job may run on; null = any */
  substrates: string[] | null;
  max_attempts: number;
  /** never runs on (or is checked by) an untrusted substrate; absent means false */
  private?: true;
  /** how results from untrusted substrates are checked; absent means 'auto' */
  verify?: 'quorum' | 'none';
  /** run over the whole range as window jobs whose results combine into one (docs/split.md) */
  split?: SplitSpec;
  /** set on the window jobs of a split job: the split job's id */
  parent_id?: string;
  /** most USD this job may cost on a paid substrate, by the estimate before it is placed (docs/costs.md); absent = no cap */
  max_cost_usd?: number;
  /** when the budget is spent: 'fail' fails the job with BUDGET_EXCEEDED; absent means 'wait' (queued until there is budget) */
  on_budget?: 'fail';
}

export type VerifyMode = 'auto' | 'quorum' | 'none';

/**
 * How a result was established (docs/trust.md):
 * trusted — computed by a trusted substrate, or a node's result confirmed by one;
 * spot-check — a trusted node's result, confirmed by a random independent check;
 * quorum — confirmed by at least two agreeing independent executions on request, or by nodes when no trusted check exists;
 * unchecked — one trusted node's result, not checked (it stays re-verifiable while that node is connected).
 */
export interface Verification {
  method: 'trusted' | 'quorum' | 'spot-check' | 'unchecked';
  /** executions made for this job's accepted attempt, including checks */
  executions: number;
  /** how many of them agree with the stored result */
  agreed: number;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const TERMINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

/** The result record (contracts §4). */
export interface ResultRecord {
  job_id: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  success: boolean;
  substrate: string | null;
  node?: string;
  result: OpResult | OpResult[] | null;
  exec_time_ms: number;
  queue_time_ms: number;
  bytes_processed: number;
  cost_usd: number;
  attempts: number;
  error: ErrorBody | null;
  /** every failed attempt, oldest first */
  attempt_errors?: AttemptError[];
  completed_at: string;
  /** succeeded results only */
  verification?: Verification;
  /** set when verification later found the first stored result wrong and replaced it */
  corrected_at?: string;
  /** a split job's final progress (windows and bytes done) */
  progress?: SplitProgress;
  /** a split job's windows per substrate that ran them */
  split_substrates?: Record<string, number>;
}

export interface AttemptError {
  attempt: number;
  substrate: string | null;
  node?: string;
  code: ErrorCode;
  message: string;
  at: string;
}

/** Per-job metric record, the original get_metrics shape plus a few fields. */
export interface MetricRecord {
  timestamp: string;
  job_id: string;
  substrate: string | null;
  success: boolean;
  status: ResultRecord['status'];
  exec_time_ms: number;
  queue_time_ms: number;
  bytes_processed: number;
  cost_usd: number;
  attempts: number;
}
