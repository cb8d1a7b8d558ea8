import type { ResultRecord } from '../../job/types.js';
import { BY_TRUSTED, UNCHECKED } from '../result-records.js';

/**
 * How the results of a complete() call travel to the writer thread, which
 * stores each as the record's JSON text.
 *
 * JSON.stringify of a whole result record costs the dispatcher's thread
 * ~1.7 µs per job (measured: 13 fields, five of them numbers to format),
 * more than anything else the SQLite store does there, while the writer
 * thread has time to spare. So a plain success, the record the dispatch
 * loop writes for nearly every job (result-records.ts succeededRecord: no
 * node, no earlier attempt errors, verified by a trusted substrate or
 * unchecked), travels as its parts: four strings (job id, substrate,
 * completed_at, the JSON of its `result`) and five numbers; the writer
 * composes the same text JSON.stringify would give (same keys, same order,
 * same number formatting). Any other record travels as its JSON text.
 */
export const RESULT_JSON = 0;
export const RESULT_TRUSTED = 1;
export const RESULT_UNCHECKED = 2;

/** strings per plain result in the batch: job_id, substrate, completed_at, result JSON */
export const PLAIN_TEXTS = 4;
/** numbers per result in `numbers`: exec_time_ms, queue_time_ms, bytes_processed, cost_usd, attempts */
export const PLAIN_NUMBERS = 5;
/** the keys of a plain success (succeededRecord without node or attempt_errors) */
const PLAIN_KEYS = 13;

const VERIFICATION_JSON = ['', JSON.stringify(BY_TRUSTED), JSON.stringify(UNCHECKED)];

/**
 * Adds result `k` of a batch: its kind in `kinds[k]`, its numbers at
 * `numbers[k * PLAIN_NUMBERS]` (plain kinds), its strings pushed to `texts`.
 */
export function addResult(record: ResultRecord, k: number, kinds: Uint8Array, numbers: Float64Array, texts: string[]): void {
  const kind = plainKind(record);
  kinds[k] = kind;
  if (kind === RESULT_JSON) {
    texts.push(JSON.stringify(record));
    return;
  }
  const n = k * PLAIN_NUMBERS;
  numbers[n] = record.exec_time_ms;
  numbers[n + 1] = record.queue_time_ms;
  numbers[n + 2] = record.bytes_processed;
  numbers[n + 3] = record.cost_usd;
  numbers[n + 4] = record.attempts;
  texts.push(record.job_id, record.substrate as string, record.completed_at, JSON.stringify(record.result));
}

/**
 * RESULT_TRUSTED or RESULT_UNCHECKED for a plain success whose every field
 * the writer can write back exactly (finite numbers: JSON writes others as
 * null), else RESULT_JSON.
 */
function plainKind(r: ResultRecord): number {
  if (r.status !== 'succeeded' || r.success !== true || r.error !== null || typeof r.substrate !== 'string' || typeof r.result !== 'object') return RESULT_JSON;
  const kind = r.verification === BY_TRUSTED ? RESULT_TRUSTED : r.verification === UNCHECKED ? RESULT_UNCHECKED : RESULT_JSON;
  if (kind === RESULT_JSON || typeof r.job_id !== 'string' || typeof r.completed_at !== 'string') return RESULT_JSON;
  if (!(Number.isFinite(r.exec_time_ms) && Number.isFinite(r.queue_time_ms) && Number.isFinite(r.bytes_processed) && Number.isFinite(r.cost_usd) && Number.isFinite(r.attempts))) return RESULT_JSON;
  // every key checked above is present: thirteen keys means no other (node, attempt_errors, progress, …)
  return Object.keys(r).length === PLAIN_KEYS ? kind : RESULT_JSON;
}

/** The writer's side: the JSON text of a plain result (strings from `texts[t]` on, numbers from `numbers[n]` on). */
export function plainResultJson(kind: number, texts: readonly string[], t: number, numbers: ArrayLike<number>, n: number): string {
  // the key order of succeededRecord, so the text is the one JSON.stringify gives for the record
  return `{"job_id":${JSON.stringify(texts[t])},"status":"succeeded","success":true,"substrate":${JSON.stringify(texts[t + 1])},`
    + `"result":${texts[t + 3] as string},"exec_time_ms":${numbers[n] as number},"queue_time_ms":${numbers[n + 1] as number},`
    + `"bytes_processed":${numbers[n + 2] as number},"cost_usd":${numbers[n + 3] as number},"attempts":${numbers[n + 4] as number},`
    + `"error":null,"completed_at":${JSON.stringify(texts[t + 2])},"verification":${VERIFICATION_JSON[kind] as string}}`;
}
