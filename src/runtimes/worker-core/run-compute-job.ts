import { PacketFSError } from '../../errors.js';
import { normalizeProgram } from '../../job/normalize-program.js';
import type { ProgramSpec } from '../../job/types.js';
import { createAddressPolicy, type AddressPolicy } from '../../data/address-policy.js';
import { fetchRangeWith, type WindowContext } from '../../data/window.js';
import { decodeBase64 } from '../../util/base64.js';
import { executeProgram, failedOutcome } from '../node-worker/execute-program.js';
import type { ExecOutcome } from '../../substrates/substrate.js';
import type { ComputeJob, JobResponse } from './compute-types.js';
import { assertDataUrlAllowed } from './data-url-guard.js';
import type { WorkerEnv } from './worker-env.js';

/**
 * One compute job on a remote runtime: validate the program, read its window
 * (inline bytes or a data_url Range; never the dispatcher's blob store) and
 * run the ops with the same executeProgram the local worker threads use.
 * Never throws: every failure is a success:false response.
 */
export interface JobRunner {
  run(job: ComputeJob): Promise<JobResponse>;
}

export function createJobRunner(env: WorkerEnv): JobRunner {
  const policy = createAddressPolicy({ allowPrivate: env.allowPrivate === true });
  const ctx = windowContext(env, policy);
  const limits = { maxWindowBytes: env.maxWindowBytes, maxInlineBytes: env.maxWindowBytes };
  return {
    async run(job) {
      let program: ProgramSpec;
      try {
        program = normalizeProgram(job.program, 'program', limits);
        if (program.blob !== undefined) {
          throw new PacketFSError('INVALID_JOB', 'blob sources need the dispatcher\'s blob store; send an absolute data_url to a remote runtime', { path: 'program.blob' });
        }
      } catch (err) {
        return toJobResponse(job.job_id, failedOutcome(err, 0));
      }
      const outcome = await executeProgram({ program, deadline: Date.now() + job.timeout_s * 1000 }, ctx);
      return toJobResponse(job.job_id, outcome);
    },
  };
}

function windowContext(env: WorkerEnv, policy: AddressPolicy): WindowContext {
  const maxBytes = env.maxWindowBytes;
  const fetchRange = env.fetchRange
    ?? ((url: string, offset: number, length: number | null, signal?: AbortSignal) =>
      fetchRangeWith(env.fetch, url, offset, length, { signal, maxBytes }));
  return {
    decodeBase64,
    maxWindowBytes: maxBytes,
    fetchRange: async (url, offset, length, signal) => {
      assertDataUrlAllowed(policy, url);
      return fetchRange(url, offset, length, signal);
    },
  };
}

export function toJobResponse(jobId: string, outcome: ExecOutcome): JobResponse {
  if (outcome.ok) {
    return { job_id: jobId, success: true, result: outcome.result, exec_time_ms: outcome.exec_time_ms, bytes_processed: outcome.bytes_processed };
  }
  return {
    job_id: jobId, success: false, result: null, exec_time_ms: outcome.exec_time_ms, bytes_processed: 0,
    error: outcome.error, retryable: outcome.retryable,
  };
}
