import { PacketFSError } from '../../errors.js';
import type { JobSpec } from '../../job/types.js';

/**
 * How a job's spec is stored in Redis (the `specs` hash), versioned so a
 * stored job keeps its meaning whatever later versions change.
 *
 *   v0  the normalized JobSpec as JSON, every field spelled out (before v1;
 *       still read: jobs queued by an older dispatcher)
 *   v1  the same JSON with `"$v":1` and without the fields that equal the
 *       v1 defaults below (~160 of the 420 bytes of a small job). The
 *       defaults are this file's own copy, not JOB_DEFAULTS: if the job
 *       defaults ever change, a v1 spec must still decode to the job that
 *       was accepted.
 *
 * Fewer bytes per job is less for Redis's Lua to hash and copy (enqueue's
 * arguments, take's reply) and less JSON for the dispatcher to write and
 * parse. An unknown version (written by a newer dispatcher sharing the
 * queue) is refused, not guessed at.
 */
export const SPEC_VERSION = 1;

/** Top-level fields a v1 spec leaves out when they have these values (and `metadata` when it is `{}`). */
const V1_DEFAULTS = Object.freeze({
  required_memory_mb: 256,
  required_duration_s: 30,
  requires_gpu: false,
  requires_state: false,
  priority: 0,
  timeout_s: 300,
  substrates: null,
  max_attempts: 3,
});

export function encodeSpec(job: JobSpec): string {
  const out: Record<string, unknown> = { $v: SPEC_VERSION };
  for (const key in job) {
    const value = (job as unknown as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (key in V1_DEFAULTS && (V1_DEFAULTS as Record<string, unknown>)[key] === value) continue;
    if (key === 'metadata' && isEmptyObject(value)) continue;
    out[key] = value;
  }
  return JSON.stringify(out);
}

/** The specs of a batch, as stored (v0 or v1), decoded with one JSON.parse. */
export function decodeSpecs(stored: string[]): JobSpec[] {
  if (stored.length === 0) return [];
  const parsed = JSON.parse(`[${stored.join(',')}]`) as Record<string, unknown>[];
  const jobs: JobSpec[] = new Array(parsed.length);
  for (let i = 0; i < parsed.length; i++) {
    const o = parsed[i]!;
    const version = o.$v;
    if (version === undefined) jobs[i] = o as unknown as JobSpec;
    else if (version === 1) jobs[i] = expandV1(o);
    else {
      throw new PacketFSError('INTERNAL',
        `job ${String(o.job_id)} is stored in spec encoding version ${String(version)}, newer than this dispatcher reads (${SPEC_VERSION}): upgrade it`);
    }
  }
  return jobs;
}

function expandV1(o: Record<string, unknown>): JobSpec {
  // one literal shape for every decoded job, fields in normalization's order; the spec's own values overwrite the defaults
  const d = V1_DEFAULTS;
  const job: Record<string, unknown> = {
    job_id: '', program: null, required_memory_mb: d.required_memory_mb, required_duration_s: d.required_duration_s,
    requires_gpu: d.requires_gpu, requires_state: d.requires_state, priority: d.priority, timeout_s: d.timeout_s,
    created_at: '', metadata: {}, substrates: d.substrates, max_attempts: d.max_attempts,
  };
  for (const key in o) if (key !== '$v') job[key] = o[key];
  return job as unknown as JobSpec;
}

function isEmptyObject(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  for (const _ in value) return false;
  return true;
}
