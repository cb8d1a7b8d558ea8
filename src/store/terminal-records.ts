import type { ErrorBody, ErrorCode } from '../errors.js';
import type { AttemptError, MetricRecord, ResultRecord } from '../job/types.js';

/**
 * Result and metric records a store writes on its own, without a substrate's
 * outcome: when a job is cancelled, and when its last allowed lease expires.
 * Pure functions of their inputs so any store writes identical records.
 */

/** Error code of the attempt error a store records when a lease expires unreleased. */
export const LEASE_EXPIRED = 'LEASE_EXPIRED' satisfies ErrorCode;

export interface StoreFinish {
  jobId: string;
  /** attempts started so far */
  attempts: number;
  /** earlier attempts' errors, oldest first */
  errors: readonly AttemptError[];
  enqueuedAt: number;
  now: number;
}

export function cancelledRecord(f: StoreFinish): ResultRecord {
  return storeRecord(f, 'cancelled', { code: 'CANCELLED', message: 'job was cancelled' });
}

/** The failed record of a job whose last allowed attempt ended by lease expiry; `f.errors` includes that expiry. */
export function leaseExpiredRecord(f: StoreFinish, expiry: AttemptError): ResultRecord {
  return storeRecord(f, 'failed', { code: expiry.code, message: expiry.message });
}

export function leaseExpiredError(attempt: number, now: number): AttemptError {
  return {
    attempt,
    substrate: null,
    code: LEASE_EXPIRED,
    message: `lease of attempt ${attempt} expired before the job was completed (its runner stopped or stalled)`,
    at: new Date(now).toISOString(),
  };
}

/** The metric record matching a result record (the original get_metrics shape). */
export function metricOf(record: ResultRecord): MetricRecord {
  return {
    timestamp: record.completed_at,
    job_id: record.job_id,
    substrate: record.substrate,
    success: record.success,
    status: record.status,
    exec_time_ms: record.exec_time_ms,
    queue_time_ms: record.queue_time_ms,
    bytes_processed: record.bytes_processed,
    cost_usd: record.cost_usd,
    attempts: record.attempts,
  };
}

function storeRecord(f: StoreFinish, status: 'cancelled' | 'failed', error: ErrorBody): ResultRecord {
  return {
    job_id: f.jobId,
    status,
    success: false,
    substrate: null,
    result: null,
    exec_time_ms: 0,
    queue_time_ms: Math.max(0, f.now - f.enqueuedAt),
    bytes_processed: 0,
    cost_usd: 0,
    attempts: f.attempts,
    error,
    attempt_errors: f.errors.slice(),
    completed_at: new Date(f.now).toISOString(),
  };
}
