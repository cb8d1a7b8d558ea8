import type { JobSpec, ProgramSpec } from './types.js';
import { JOB_DEFAULTS } from './defaults.js';

/**
 * JobSpec → the original ComputeJob.to_dict JSON, for systems that speak the
 * original wire format. The program goes back to its submitted form (`op` +
 * `imm` for the shorthand, else `ops`). `substrates` and `max_attempts` are
 * extensions, so they are written only when they differ from their defaults;
 * normalizeJob(jobToWire(job)) gives back an equal job.
 */
export function jobToWire(job: JobSpec): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    job_id: job.job_id,
    program: programToWire(job.program),
    required_memory_mb: job.required_memory_mb,
    required_duration_s: job.required_duration_s,
    requires_gpu: job.requires_gpu,
    requires_state: job.requires_state,
    priority: job.priority,
    timeout_s: job.timeout_s,
    created_at: job.created_at,
    metadata: job.metadata,
  };
  if (job.substrates !== null) wire.substrates = job.substrates;
  if (job.max_attempts !== JOB_DEFAULTS.max_attempts) wire.max_attempts = job.max_attempts;
  if (job.split !== undefined) wire.split = job.split;
  if (job.max_cost_usd !== undefined) wire.max_cost_usd = job.max_cost_usd;
  if (job.on_budget !== undefined) wire.on_budget = job.on_budget;
  return wire;
}

export function programToWire(program: ProgramSpec): Record<string, unknown> {
  const wire: Record<string, unknown> = program.single
    ? { op: program.ops[0]!.op, imm: program.ops[0]!.imm }
    : { ops: program.ops.map(({ op, imm }) => ({ op, imm })) };
  if (program.data !== undefined) wire.data = program.data;
  if (program.data_url !== undefined) wire.data_url = program.data_url;
  if (program.blob !== undefined) wire.blob = program.blob;
  wire.offset = program.offset;
  if (program.length !== null) wire.length = program.length;
  if (program.fnv_state !== undefined) wire.fnv_state = program.fnv_state;
  return wire;
}
