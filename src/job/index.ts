/** Jobs and programs: wire format → validated, normalised specs, and back (contracts §2). */
export type { JobSpec, ProgramSpec, JobStatus, ResultRecord, AttemptError, MetricRecord } from './types.js';
export { TERMINAL_STATUSES } from './types.js';
export { JOB_DEFAULTS } from './defaults.js';
export { DEFAULT_LIMITS, type JobLimits, type ProgramLimits } from '../schema/limits.js';
export { normalizeProgram } from './normalize-program.js';
export { normalizeJob, normalizeJobs, type NormalizeJobOptions } from './normalize-job.js';
export { jobToWire, programToWire } from './job-to-wire.js';
