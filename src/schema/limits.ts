/**
 * Size limits applied while normalising jobs. Every limit can be lowered or
 * raised per dispatcher; the defaults are what an unconfigured one enforces.
 */
export interface ProgramLimits {
  /** most ops in one program */
  maxOps?: number;
  /** largest inline `data`, in decoded bytes (over it: PAYLOAD_TOO_LARGE) */
  maxInlineBytes?: number;
  /** largest window `length`, in bytes (over it: PAYLOAD_TOO_LARGE) */
  maxWindowBytes?: number;
}

export interface JobLimits extends ProgramLimits {
  /** most jobs in one normalizeJobs call (over it: PAYLOAD_TOO_LARGE) */
  maxBatch?: number;
  /** largest `metadata`, in bytes of its UTF-8 JSON */
  maxMetadataBytes?: number;
}

export const DEFAULT_LIMITS: Readonly<Required<JobLimits>> = Object.freeze({
  maxOps: 64,
  maxInlineBytes: 16 * 1024 * 1024,
  maxWindowBytes: 1024 * 1024 * 1024,
  maxBatch: 10_000,
  maxMetadataBytes: 16 * 1024,
});
