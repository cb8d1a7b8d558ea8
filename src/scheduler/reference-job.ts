import type { JobSpec } from '../job/types.js';
import { JOB_DEFAULTS } from '../job/defaults.js';

/**
 * The job /v1/substrates scores every substrate for, so operators can compare
 * them at a glance: default job fields (contracts §2) over a 64-byte inline window.
 */
export const REFERENCE_JOB: Readonly<JobSpec> = Object.freeze<JobSpec>({
  ...JOB_DEFAULTS,
  job_id: 'reference',
  // 86 'A's + '==' is the canonical base64 of 64 zero bytes
  program: { ops: [{ op: 'counteq', imm: 0 }], single: true, data: 'A'.repeat(86) + '==', offset: 0, length: null },
  created_at: '1970-01-01T00:00:00.000Z',
  metadata: {},
  substrates: null,
});
