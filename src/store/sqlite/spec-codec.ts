import { isEmptyObject, STORED_SPEC_V1_DEFAULTS } from '../../job/stored-spec-v1.js';
import type { JobSpec } from '../../job/types.js';

/**
 * How a job's spec is stored in its row (`jobs.spec`).
 *
 * A normalized spec spells out every default (413 bytes of JSON for a job
 * with 64 bytes of data, a third of it field names and default values), and
 * five of its fields are columns of the row already. The row is written twice
 * per job (insert, then the update that finishes it), so its size is paid in
 * B-tree work, log pages and checkpoint copies; and the JSON is built on the
 * dispatcher's thread. Version 1 stores only what the columns and the
 * defaults do not say: `1` followed by the JSON of an object holding the
 * program and the fields that differ from the version 1 defaults
 * (src/job/stored-spec-v1.ts, shared with the Redis store; about 150 bytes
 * for that job).
 *
 * Versioned so a stored job never changes meaning: the version 1 defaults
 * are written out once and never changed (should normalization's defaults
 * change, a new version gets its own table), and a
 * text starting with `{` is the full JSON spec that files of schema
 * version 2 hold, read as it is.
 */
const V1 = '1';

/** the frozen version 1 defaults, shared with the Redis store's encoding */
const V1_DEFAULTS = STORED_SPEC_V1_DEFAULTS;

/**
 * Where version 1 keeps each JobSpec field. Typed over every key of JobSpec,
 * so a field added to JobSpec fails to compile here until encodeSpec and
 * decodeSpec carry it (the spec-codec test round-trips each one).
 */
export const V1_FIELDS: Readonly<Record<keyof JobSpec, 'column' | 'default' | 'text'>> = Object.freeze({
  job_id: 'column', created_at: 'column', substrates: 'column', priority: 'column', max_attempts: 'column',
  required_memory_mb: 'default', required_duration_s: 'default', requires_gpu: 'default', requires_state: 'default', timeout_s: 'default', metadata: 'default',
  program: 'text', private: 'text', verify: 'text', split: 'text', parent_id: 'text', max_cost_usd: 'text', on_budget: 'text',
});

/** What the row's columns hold, so the stored text leaves them out. */
export interface SpecColumns {
  id: string;
  created_at: string;
  substrates: string | null;
  priority: number;
  max_attempts: number;
}

/** The fields a version 1 text may hold (the rest are columns or defaults). */
type StoredV1 = Partial<Omit<JobSpec, 'job_id' | 'created_at' | 'substrates' | 'priority' | 'max_attempts'>> & Pick<JobSpec, 'program'>;

export function encodeSpec(job: JobSpec): string {
  const s: StoredV1 = { program: job.program };
  if (job.required_memory_mb !== V1_DEFAULTS.required_memory_mb) s.required_memory_mb = job.required_memory_mb;
  if (job.required_duration_s !== V1_DEFAULTS.required_duration_s) s.required_duration_s = job.required_duration_s;
  if (job.requires_gpu !== V1_DEFAULTS.requires_gpu) s.requires_gpu = job.requires_gpu;
  if (job.requires_state !== V1_DEFAULTS.requires_state) s.requires_state = job.requires_state;
  if (job.timeout_s !== V1_DEFAULTS.timeout_s) s.timeout_s = job.timeout_s;
  if (!isEmptyObject(job.metadata)) s.metadata = job.metadata;
  if (job.private !== undefined) s.private = job.private;
  if (job.verify !== undefined) s.verify = job.verify;
  if (job.split !== undefined) s.split = job.split;
  if (job.parent_id !== undefined) s.parent_id = job.parent_id;
  if (job.max_cost_usd !== undefined) s.max_cost_usd = job.max_cost_usd;
  if (job.on_budget !== undefined) s.on_budget = job.on_budget;
  return V1 + JSON.stringify(s);
}

/** The spec again, its fields in normalization's order (normalize-job.ts). */
export function decodeSpec(text: string, columns: SpecColumns): JobSpec {
  if (text.startsWith('{')) return JSON.parse(text) as JobSpec;
  if (!text.startsWith(V1)) throw new Error(`job ${columns.id}: stored spec in an unknown format (${JSON.stringify(text.slice(0, 8))}…)`);
  const s = JSON.parse(text.slice(V1.length)) as StoredV1;
  const job: JobSpec = {
    job_id: columns.id,
    program: s.program,
    required_memory_mb: s.required_memory_mb ?? V1_DEFAULTS.required_memory_mb,
    required_duration_s: s.required_duration_s ?? V1_DEFAULTS.required_duration_s,
    requires_gpu: s.requires_gpu ?? V1_DEFAULTS.requires_gpu,
    requires_state: s.requires_state ?? V1_DEFAULTS.requires_state,
    priority: columns.priority,
    timeout_s: s.timeout_s ?? V1_DEFAULTS.timeout_s,
    created_at: columns.created_at,
    metadata: s.metadata ?? {},
    substrates: columns.substrates === null ? null : JSON.parse(columns.substrates) as string[],
    max_attempts: columns.max_attempts,
  };
  if (s.private !== undefined) job.private = s.private;
  if (s.verify !== undefined) job.verify = s.verify;
  if (s.split !== undefined) job.split = s.split;
  if (s.parent_id !== undefined) job.parent_id = s.parent_id;
  if (s.max_cost_usd !== undefined) job.max_cost_usd = s.max_cost_usd;
  if (s.on_budget !== undefined) job.on_budget = s.on_budget;
  return job;
}
