import { PacketFSError } from '../../errors.js';
import type { ComputeJob, JobResponse } from './compute-types.js';
import { parseComputeBody } from './parse-compute-body.js';
import { failedOutcome } from '../node-worker/execute-program.js';
import { createJobRunner, toJobResponse } from './run-compute-job.js';
import type { WorkerEnv } from './worker-env.js';

/**
 * POST /compute without HTTP: a parsed body in, the response body out. The
 * HTTP handler and Lambda's direct invocation both come here. Envelope
 * faults throw (→ 4xx); job faults are success:false entries.
 *
 * Jobs of a batch run with a few data_url reads in flight at once (workerd
 * allows six open connections per request); inline jobs are pure CPU.
 */
const FETCH_CONCURRENCY = 6;

export type ComputeReply = SingleReply | { results: JobResponse[] };

/**
 * A single job's reply: the job's response plus `results`, the key the
 * original's clients read the op results from (its Python dispatcher does
 * `data.get('results')`); a job named by `jobId` also gets the original's
 * `jobId`, `executionTimeMs` and `bytesProcessed`.
 */
export type SingleReply = JobResponse & {
  results: JobResponse['result'];
  jobId?: string;
  executionTimeMs?: number;
  bytesProcessed?: number;
};

export async function computeBody(body: unknown, env: WorkerEnv): Promise<ComputeReply> {
  const { batch, jobs, original } = parseComputeBody(body);
  const results = await runJobs(jobs, env);
  if (batch) return { results };
  const one = results[0]!;
  const reply: SingleReply = { ...one, results: one.result };
  if (original) Object.assign(reply, { jobId: one.job_id, executionTimeMs: one.exec_time_ms, bytesProcessed: one.bytes_processed });
  return reply;
}

export async function runJobs(jobs: ComputeJob[], env: WorkerEnv): Promise<JobResponse[]> {
  const results = new Array<JobResponse>(jobs.length);
  const stateless: number[] = [];
  const stateful: number[] = [];
  for (const [i, job] of jobs.entries()) (job.state_key === undefined ? stateless : stateful).push(i);
  const runner = createJobRunner(env);
  const pending: Array<Promise<void>> = [];
  if (stateful.length > 0) pending.push(runStateful(stateful.map((i) => jobs[i]!), env).then((out) => {
    stateful.forEach((index, k) => { results[index] = out[k]!; });
  }));
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < stateless.length) {
      const index = stateless[next++]!;
      results[index] = await runner.run(jobs[index]!);
    }
  };
  for (let i = 0; i < Math.min(FETCH_CONCURRENCY, stateless.length); i++) pending.push(lane());
  await Promise.all(pending);
  return results;
}

async function runStateful(jobs: ComputeJob[], env: WorkerEnv): Promise<JobResponse[]> {
  if (env.runStateful) return env.runStateful(jobs);
  return failAll(jobs, new PacketFSError('INVALID_JOB',
    `the ${env.runtime} runtime keeps no state between jobs; send jobs with a state_key (requires_state) to the cloudflare runtime`,
    { path: 'state_key' }));
}

/** Every job failed with the same error, retryable or not by its code. */
export function failAll(jobs: ComputeJob[], err: unknown): JobResponse[] {
  return jobs.map((job) => toJobResponse(job.job_id, failedOutcome(err, 0)));
}
