import type { ErrorBody } from '../../errors.js';
import { TERMINAL_STATUSES, type ResultRecord } from '../../job/types.js';
import type { JobView } from '../job-store.js';

/**
 * Reads a value found at `packetfs:results:<id>`. Two writers put records
 * there: this store (the contracts §4 record, with `status`) and the original
 * Python dispatcher (`JobResult.to_dict()`: no `status`, `error` a plain
 * string or null, `substrate` such as "cloudflare_worker", `completed_at`
 * from `datetime.utcnow().isoformat()` without a zone). Both are returned in
 * the §4 shape, so its results are readable through the API, CLI and SDKs.
 *
 * The value is untrusted (anyone with Redis access writes it): anything that
 * is neither shape becomes a failed record saying so, never an exception
 * that would turn a read into a 500.
 */
const MAX_RECORD_CHARS = 64 * 1024 * 1024;

export function readStoredResult(raw: string, jobId: string): ResultRecord {
  if (raw.length > MAX_RECORD_CHARS) return unreadable(jobId, `it is ${raw.length} characters long, over ${MAX_RECORD_CHARS}`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return unreadable(jobId, `it is not JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return unreadable(jobId, 'it is not a JSON object');
  const record = value as Record<string, unknown>;
  if (typeof record.status === 'string' && (TERMINAL_STATUSES as readonly string[]).includes(record.status)) {
    return value as ResultRecord;
  }
  if (typeof record.success === 'boolean') return fromOriginal(record, jobId);
  return unreadable(jobId, 'it has neither a status nor a boolean success');
}

/** The original's JobResult.to_dict() → the §4 record. */
function fromOriginal(r: Record<string, unknown>, jobId: string): ResultRecord {
  const success = r.success === true;
  const completed = isoTime(r.completed_at);
  const record: ResultRecord = {
    job_id: typeof r.job_id === 'string' ? r.job_id : jobId,
    status: success ? 'succeeded' : 'failed',
    success,
    substrate: typeof r.substrate === 'string' ? r.substrate : null,
    result: success && r.result !== undefined ? r.result as ResultRecord['result'] : null,
    exec_time_ms: finiteOr(r.exec_time_ms, 0),
    queue_time_ms: 0,
    bytes_processed: finiteOr(r.bytes_processed, 0),
    cost_usd: finiteOr(r.cost_usd, 0),
    attempts: 1,
    error: success ? null : originalError(r.error),
    completed_at: completed,
  };
  return record;
}

function originalError(error: unknown): ErrorBody {
  if (typeof error === 'string' && error !== '') return { code: 'SUBSTRATE_FAILED', message: error };
  return { code: 'SUBSTRATE_FAILED', message: 'the original dispatcher recorded a failure without a message' };
}

/** Python's utcnow().isoformat() has no zone: it is UTC. Anything unparseable is kept as given. */
function isoTime(value: unknown): string {
  if (typeof value !== 'string') return new Date(0).toISOString();
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

function finiteOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function unreadable(jobId: string, why: string): ResultRecord {
  return {
    job_id: jobId, status: 'failed', success: false, substrate: null, result: null,
    exec_time_ms: 0, queue_time_ms: 0, bytes_processed: 0, cost_usd: 0, attempts: 0,
    error: { code: 'INTERNAL', message: `the record stored at the job's result key is unreadable: ${why}` },
    completed_at: new Date(0).toISOString(),
  };
}

/** The view of a job known only by its result record (written by the original dispatcher). */
export function viewOfRecord(record: ResultRecord): JobView {
  return {
    job_id: record.job_id,
    status: record.status,
    attempts: record.attempts,
    priority: 0,
    created_at: record.completed_at,
    substrates: null,
    errors: [],
    result: record,
  };
}
