import type { OpSpec } from '../../ops/types.js';
import type { ProgramSpec } from '../../job/types.js';

/**
 * A batch of programs as columns, for crossing to a worker thread. Structured
 * clone pays per object and per property; a tiny job's program is four
 * objects (program, ops array, op, plus the data string), so cloning them
 * was the main thread's largest single cost. Here the numbers travel in typed
 * arrays, identical op lists are sent once, and only the data strings and
 * the rare fields (blob, data_url, fnv_state) travel per job.
 */
export interface ProgramColumns {
  /** distinct op lists; opsIndex points into it */
  opsTable: OpSpec[][];
  opsIndex: Uint32Array;
  /** 1 when the single-op shorthand was used */
  single: Uint8Array;
  offset: Float64Array;
  /** -1 for null (to the end) */
  length: Float64Array;
  /** inline base64 data, or null when the job reads a blob or URL */
  data: Array<string | null>;
  /** jobs with a blob, data_url or fnv_state, by index */
  rare: Array<{ index: number; blob?: string; data_url?: string; fnv_state?: string }>;
}

export function packPrograms(programs: readonly ProgramSpec[]): ProgramColumns {
  const n = programs.length;
  const cols: ProgramColumns = {
    opsTable: [], opsIndex: new Uint32Array(n), single: new Uint8Array(n),
    offset: new Float64Array(n), length: new Float64Array(n), data: new Array(n), rare: [],
  };
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const p = programs[i]!;
    const key = opsKey(p.ops);
    let at = seen.get(key);
    if (at === undefined) {
      at = cols.opsTable.push(p.ops) - 1;
      seen.set(key, at);
    }
    cols.opsIndex[i] = at;
    cols.single[i] = p.single ? 1 : 0;
    cols.offset[i] = p.offset;
    cols.length[i] = p.length === null ? -1 : p.length;
    cols.data[i] = p.data ?? null;
    if (p.blob !== undefined || p.data_url !== undefined || p.fnv_state !== undefined) {
      const rare: ProgramColumns['rare'][number] = { index: i };
      if (p.blob !== undefined) rare.blob = p.blob;
      if (p.data_url !== undefined) rare.data_url = p.data_url;
      if (p.fnv_state !== undefined) rare.fnv_state = p.fnv_state;
      cols.rare.push(rare);
    }
  }
  return cols;
}

/** The inverse of packPrograms, one ProgramSpec per job, in order. */
export function unpackPrograms(cols: ProgramColumns): ProgramSpec[] {
  const n = cols.opsIndex.length;
  const out = new Array<ProgramSpec>(n);
  for (let i = 0; i < n; i++) {
    const length = cols.length[i]!;
    const p: ProgramSpec = { ops: cols.opsTable[cols.opsIndex[i]!]!, single: cols.single[i] === 1, offset: cols.offset[i]!, length: length < 0 ? null : length };
    const data = cols.data[i];
    if (data !== null && data !== undefined) p.data = data;
    out[i] = p;
  }
  for (const r of cols.rare) {
    const p = out[r.index]!;
    if (r.blob !== undefined) p.blob = r.blob;
    if (r.data_url !== undefined) p.data_url = r.data_url;
    if (r.fnv_state !== undefined) p.fnv_state = r.fnv_state;
  }
  return out;
}

function opsKey(ops: readonly OpSpec[]): string {
  if (ops.length === 1) return ops[0]!.op + ops[0]!.imm;
  let key = '';
  for (const o of ops) key += o.op + o.imm + ',';
  return key;
}
