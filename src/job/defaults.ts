/**
 * Values a job gets for fields it leaves out (the original ComputeJob
 * defaults, plus max_attempts). Also the "reference job" other modules score
 * or display when they need a typical job.
 */
export const JOB_DEFAULTS = Object.freeze({
  required_memory_mb: 256,
  required_duration_s: 30,
  requires_gpu: false,
  requires_state: false,
  priority: 0,
  timeout_s: 300,
  max_attempts: 3,
});
