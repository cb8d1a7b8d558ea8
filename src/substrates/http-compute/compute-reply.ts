import { isPlainObject } from '../../job/range-checks.js';
import type { OpResult } from '../../ops/types.js';
import { isErrorCode, isRetryableCode, type ErrorBody, type ErrorCode } from '../../errors.js';
import type { ExecOutcome } from '../substrate.js';
import type { RemoteJob } from './remote-job.js';

/**
 * Reading what a runtime answered to `POST /compute` (or a Lambda Invoke).
 * Anything malformed is the substrate's fault: a retryable SUBSTRATE_FAILED,
 * so the job fails over instead of being recorded with a made-up result.
 */

/** The same failure for every job of a request (HTTP 5xx, throttling, a dropped connection). */
export function failEach(count: number, code: ErrorCode, message: string, retryable: boolean, execTimeMs: number): ExecOutcome[] {
  const error: ErrorBody = { code, message };
  return Array.from({ length: count }, () => ({ ok: false as const, error, retryable, exec_time_ms: execTimeMs }));
}

/**
 * Outcomes of a batch request `{jobs}` → `{results}`, in the order the jobs
 * were sent. A request-level `{error}` (the runtime refused the whole batch)
 * applies to every job, retryable unless it is the jobs' own fault.
 */
export function outcomesOfBatchReply(body: unknown, jobs: readonly RemoteJob[], substrate: string, elapsedMs: number): ExecOutcome[] {
  const refused = errorBodyOf(isPlainObject(body) ? body.error : undefined);
  if (refused !== null) {
    return failEach(jobs.length, refused.code, `substrate ${substrate} refused the request: ${refused.message}`, isRetryableCode(refused.code), elapsedMs);
  }
  const results = isPlainObject(body) ? body.results : undefined;
  if (!Array.isArray(results) || results.length !== jobs.length) {
    return failEach(jobs.length, 'SUBSTRATE_FAILED', `substrate ${substrate} answered without one result per job`, true, elapsedMs);
  }
  return jobs.map((job, i) => outcomeOfJobReply(results[i], job.job_id, substrate, elapsedMs));
}

/** One job's reply; its own failure keeps the runtime's code and `retryable`. */
export function outcomeOfJobReply(reply: unknown, jobId: string, substrate: string, elapsedMs: number): ExecOutcome {
  if (!isPlainObject(reply) || reply.job_id !== jobId) return malformed(substrate, `a reply for another job than ${jobId}`, elapsedMs);
  const execTimeMs = typeof reply.exec_time_ms === 'number' && reply.exec_time_ms >= 0 ? reply.exec_time_ms : elapsedMs;
  if (reply.success === true) {
    if (!isResult(reply.result) || !Number.isSafeInteger(reply.bytes_processed)) return malformed(substrate, `a malformed result for ${jobId}`, elapsedMs);
    return { ok: true, result: reply.result, bytes_processed: reply.bytes_processed as number, exec_time_ms: execTimeMs };
  }
  const error = errorBodyOf(reply.error);
  if (reply.success !== false || error === null) return malformed(substrate, `a malformed failure for ${jobId}`, elapsedMs);
  return { ok: false, error, retryable: reply.retryable !== false, exec_time_ms: execTimeMs };
}

/**
 * `{code, message, path?}` from a runtime, or null when it is not that shape.
 * A code outside our union (a runtime of another version) is kept in the
 * message of a SUBSTRATE_FAILED, so records only ever carry known codes.
 */
export function errorBodyOf(value: unknown): ErrorBody | null {
  if (!isPlainObject(value) || typeof value.code !== 'string' || typeof value.message !== 'string') return null;
  const message = value.message.slice(0, 1000);
  const body: ErrorBody = isErrorCode(value.code) ? { code: value.code, message } : { code: 'SUBSTRATE_FAILED', message: `${value.code.slice(0, 64)}: ${message}` };
  if (typeof value.path === 'string') body.path = value.path.slice(0, 200);
  return body;
}

function malformed(substrate: string, what: string, elapsedMs: number): ExecOutcome {
  return { ok: false, retryable: true, exec_time_ms: elapsedMs, error: { code: 'SUBSTRATE_FAILED', message: `substrate ${substrate} sent ${what}` } };
}

function isResult(value: unknown): value is OpResult | OpResult[] {
  return Array.isArray(value) ? value.length > 0 && value.every(isPlainObject) : isPlainObject(value);
}
