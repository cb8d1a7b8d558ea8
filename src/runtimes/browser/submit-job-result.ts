import type { ErrorBody } from '../../errors.js';
import type { OpResult } from '../../ops/types.js';
import type { ExecOutcome } from '../../substrates/substrate.js';

/** The original browser API's job result (submitJob, getResult, the Service Worker's POST /execute). */
export interface SubmitJobResult {
  jobId: string;
  success: boolean;
  result: OpResult | OpResult[] | null;
  executionTimeMs: number;
  bytesProcessed: number;
  error?: ErrorBody;
}

export function toSubmitJobResult(jobId: string, outcome: ExecOutcome): SubmitJobResult {
  if (outcome.ok) {
    return { jobId, success: true, result: outcome.result, executionTimeMs: outcome.exec_time_ms, bytesProcessed: outcome.bytes_processed };
  }
  return { jobId, success: false, result: null, executionTimeMs: outcome.exec_time_ms, bytesProcessed: 0, error: outcome.error };
}
