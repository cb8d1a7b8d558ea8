import type { AttemptError, ResultRecord, Verification } from '../job/types.js';
import type { TrustClass } from '../scheduler/capabilities.js';
import type { ErrorBody } from '../errors.js';
import type { Lease } from './job-store.js';
import type { ExecOutcome } from '../substrates/substrate.js';
import { isoTime } from '../util/iso-time.js';

/** Builders for the contracts §4 result record, so every dispatcher path writes the same shape (metric twin: store/terminal-records metricOf). */

export interface RunFacts {
  substrate: string | null;
  node?: string;
  /** epoch ms when this attempt was handed to a substrate */
  dispatchedAt: number;
  costUsd: number;
  /** of the substrate that ran it: a trusted one's result counts as verified by itself */
  trust?: TrustClass;
}

export const BY_TRUSTED: Verification = Object.freeze({ method: 'trusted', executions: 1, agreed: 1 }) as Verification;
export const UNCHECKED: Verification = Object.freeze({ method: 'unchecked', executions: 1, agreed: 1 }) as Verification;

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
    verification: outcome.verification ?? (facts.trust === 'untrusted' ? UNCHECKED : BY_TRUSTED),
  };
  if (outcome.node !== undefined) record.node = outcome.node;
  if (lease.errors.length > 0) record.attempt_errors = lease.errors;
  return record;
}

/**
 * The record that replaces a stored result verification later found wrong:
 * the same job and attempt, the arbiter's value, and a verification entry
 * that counts the extra execution.
 */
export function correctedRecord(stored: ResultRecord, fix: { result: ResultRecord['result']; bytesProcessed: number }, now: number): ResultRecord {
  const { node: _node, ...rest } = stored;
  return {
    ...rest,
    result: fix.result,
    bytes_processed: fix.bytesProcessed,
    verification: { method: 'trusted', executions: (stored.verification?.executions ?? 1) + 1, agreed: 1 },
    corrected_at: isoTime(now),
  };
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
