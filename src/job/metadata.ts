import { fieldPath } from '../schema/field-path.js';
import { invalidJob } from './invalid-job.js';
import { isPlainObject } from './range-checks.js';

/**
 * Job metadata (errors name `<jobPath>.metadata`): a plain object whose JSON is at most `maxBytes` of UTF-8.
 * Returns a detached JSON copy, so a caller mutating its object later cannot
 * change a queued job, and what is stored is exactly what a store round-trips.
 * Empty metadata skips serialisation entirely (the common, hot case).
 */
export function metadataCopy(v: unknown, jobPath: string, maxBytes: number): Record<string, unknown> {
  if (!isPlainObject(v)) throw invalidJob(fieldPath(jobPath, 'metadata'), 'metadata must be a JSON object');
  let empty = true;
  for (const key in v) {
    if (v[key] !== undefined) { empty = false; break; }
  }
  if (empty) return {};
  let json: string;
  try {
    json = JSON.stringify(v);
  } catch {
    throw invalidJob(fieldPath(jobPath, 'metadata'), 'metadata must be JSON-serialisable (no cycles, no BigInt)');
  }
  if (utf8Exceeds(json, maxBytes)) throw invalidJob(fieldPath(jobPath, 'metadata'), `metadata must be at most ${maxBytes} bytes of JSON`);
  return JSON.parse(json) as Record<string, unknown>;
}

/** Whether the UTF-8 encoding of `s` is longer than `limit` bytes, without encoding it. */
function utf8Exceeds(s: string, limit: number): boolean {
  // UTF-8 never takes fewer bytes than UTF-16 code units, nor more than 3 per unit.
  if (s.length > limit) return true;
  if (s.length * 3 <= limit) return false;
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // a surrogate pair is 2 units and 4 bytes: 2 per unit
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
    if (bytes > limit) return true;
  }
  return false;
}
