import type { AttemptError, ResultRecord } from '../job/types.js';
import type { ErrorBody } from '../errors.js';
import type { Lease } from '../store/job-store.js';
import type { ExecOutcome } from '../substrates/substrate.js';
import { isoTime } from '../util/iso-time.js';

/** Builders for the contracts §4 result record, so every dispatcher path writes the same shape (metric twin: store/terminal-records metricOf). */

export interface RunFacts {
  substrate: string | null;
  node?: string;
  /** epoch ms when this attempt was handed to a substrate */
  dispatchedAt: number;
  costUsd: number;
}

export function succeededRecord(lease: Lease, outcome: Extract<ExecOutcome, { ok: true }>, facts: RunFacts, now: number): ResultRecord {
  const record: ResultRecord = {
    job_id: lease.job.job_id,
    status: 'succeeded',
    success: true,
    substrate: facts.substrate,
    result: outcome.result,
    exec_time_ms: round3(outcome.exec_time_ms),
    queue_time_ms: round3(Math.max(0, facts.dispatchedAt - lease.enqueuedAt)),
    bytes_processed: outcome.bytes_processed,
    cost_usd: facts.costUsd,
    attempts: lease.attempt,
    error: null,
    completed_at: isoTime(now),
  };
  if (outcome.node !== undefined) record.node = outcome.node;
  if (lease.errors.length > 0) record.attempt_errors = lease.errors;
  return record;
}

export function failedRecord(lease: Lease, error: ErrorBody, facts: RunFacts, execTimeMs: number, now: number, lastError?: AttemptError): ResultRecord {
  const errors = lastError ? [...lease.errors, lastError] : lease.errors;
  const record: ResultRecord = {
    job_id: lease.job.job_id,
    status: 'failed',
    success: false,
    substrate: facts.substrate,
    result: null,
    exec_time_ms: round3(execTimeMs),
    queue_time_ms: round3(Math.max(0, facts.dispatchedAt - lease.enqueuedAt)),
    bytes_processed: 0,
    cost_usd: facts.costUsd,
    attempts: lease.attempt,
    error,
    completed_at: isoTime(now),
  };
  if (facts.node !== undefined) record.node = facts.node;
  if (errors.length > 0) record.attempt_errors = errors;
  return record;
}

export function attemptError(attempt: number, substrate: string | null, error: ErrorBody, now: number, node?: string): AttemptError {
  const e: AttemptError = { attempt, substrate, code: error.code, message: error.message, at: isoTime(now) };
  if (node !== undefined) e.node = node;
  return e;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
