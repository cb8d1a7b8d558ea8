/** The worker core: one runtime-neutral compute API served by every remote runtime. */
export { handleComputeRequest, health } from './handle-compute-request.js';
export { computeBody, failAll, runJobs, type ComputeReply, type SingleReply } from './compute.js';
export { createJobRunner, toJobResponse, type JobRunner } from './run-compute-job.js';
export { parseComputeBody, type ComputeBody } from './parse-compute-body.js';
export { errorReply, headerRecord, jsonReply } from './json-reply.js';
export type { ComputeJob, JobResponse, HealthResponse } from './compute-types.js';
export {
  DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_WINDOW_BYTES, MAX_BATCH_JOBS, flagEnabled, type WorkerEnv,
} from './worker-env.js';
