import { PacketFSError } from '../errors.js';
import type { OpName, OpSpec } from '../ops/types.js';
import { base64ByteLength } from '../util/base64.js';
import type { ProgramSpec } from './types.js';
import { DEFAULT_LIMITS, type ProgramLimits } from '../schema/limits.js';
import { fieldPath, indexPath } from '../schema/field-path.js';
import { invalidJob, tooLarge } from './invalid-job.js';
import { MAX_DATA_URL_CHARS, ProgramSchema, type OpInput, type ProgramInput } from '../schema/job-schema.js';
import { validator } from '../schema/validator.js';

/**
 * Wire program (contracts §2) → ProgramSpec. Types, ranges, patterns and
 * unknown fields are the schema's (src/schema/job-schema.ts, checked by its
 * compiled validator first); this module adds what a schema cannot say and
 * builds the normalised spec. `single` is accepted too, so a normalised
 * program normalises to itself (stores and retries may re-validate).
 */
const programs = validator(ProgramSchema, { code: 'INVALID_JOB' });
const OP_NAMES_TEXT = 'counteq, crc32c, fnv64, xor, add';

export function normalizeProgram(input: unknown, path = 'program', opts?: ProgramLimits): ProgramSpec {
  if (!programs.check(input)) throw programs.fail(input, path);
  return normalizeCheckedProgram(input, path, opts);
}

/** A program the schema has accepted (normalizeJob checks it as part of the job). */
export function normalizeCheckedProgram(input: ProgramInput, path: string, opts?: ProgramLimits): ProgramSpec {
  let listKey: 'ops' | 'operations' | 'instructions' | undefined;
  let sourceKey: 'data' | 'data_url' | 'blob' | undefined;
  // in the input's key order, so a clash names the second key given
  for (const key in input) {
    if (input[key as keyof ProgramInput] === undefined) continue;
    switch (key) {
      case 'ops': case 'operations': case 'instructions':
        if (listKey !== undefined) throw invalidJob(fieldPath(path, key), `give only one of 'ops', 'operations' or 'instructions', not '${listKey}' and '${key}'`);
        listKey = key;
        break;
      case 'data': case 'data_url': case 'blob':
        if (sourceKey !== undefined) throw invalidJob(fieldPath(path, key), `give exactly one data source ('data', 'data_url' or 'blob'), not '${sourceKey}' and '${key}'`);
        sourceKey = key;
        break;
    }
  }
  const hasOp = input.op !== undefined;
  if (hasOp && listKey !== undefined) throw invalidJob(fieldPath(path, listKey), `give either 'op' or '${listKey}', not both`);
  if (!hasOp && listKey === undefined) throw invalidJob(path, `program needs 'op' (one op) or 'ops' (a list); valid ops: ${OP_NAMES_TEXT}`);
  if (sourceKey === undefined) throw invalidJob(path, `program needs one data source: 'data' (base64), 'data_url' or 'blob'`);

  const defaultImm = input.imm ?? 0;
  const shorthand = listKey === undefined;
  if (input.single === false && shorthand) throw invalidJob(fieldPath(path, 'single'), `single cannot be false with the one-op 'op' form`);
  // A stored ProgramSpec keeps the shorthand as `ops` + single: true.
  const single = shorthand || input.single === true;
  let ops: OpSpec[];
  if (shorthand) {
    ops = [{ op: input.op!, imm: defaultImm }];
  } else {
    const list = input[listKey!]!;
    const maxOps = opts?.maxOps ?? DEFAULT_LIMITS.maxOps;
    if (list.length > maxOps) throw invalidJob(fieldPath(path, listKey!), `${listKey} lists ${list.length} ops; at most ${maxOps} are allowed`);
    ops = new Array<OpSpec>(list.length);
    for (let i = 0; i < list.length; i++) ops[i] = opItem(list[i]!, path, listKey!, i, defaultImm);
  }
  if (single && ops.length !== 1) throw invalidJob(fieldPath(path, 'single'), 'single: true needs exactly one op');

  const offset = input.offset ?? 0;
  const length = input.length ?? null;
  if (length !== null) {
    const maxWindow = opts?.maxWindowBytes ?? DEFAULT_LIMITS.maxWindowBytes;
    if (length > maxWindow) throw tooLarge(fieldPath(path, 'length'), `length ${length} is over the window limit of ${maxWindow} bytes`);
  }

  const spec: ProgramSpec = { ops, single, offset, length };
  if (sourceKey === 'data') {
    checkInlineWindow(input.data!, path, offset, length, opts);
    spec.data = input.data!;
  } else if (sourceKey === 'data_url') {
    const url = input.data_url!;
    // the schema's pattern admits the shape; the URL parser has the last word on http(s) URLs
    if (url.charCodeAt(0) !== 47 /* / */ && !URL.canParse(url)) {
      throw invalidJob(fieldPath(path, 'data_url'), `data_url must be an absolute http(s) URL or /v1/blobs/<blob id>, at most ${MAX_DATA_URL_CHARS} characters`);
    }
    spec.data_url = url;
  } else {
    spec.blob = input.blob!;
  }
  if (input.fnv_state !== undefined) spec.fnv_state = input.fnv_state.toLowerCase();
  return spec;
}

/** One list item: a bare op name, or {op|operation, imm?}. Paths are built only to throw. */
function opItem(item: OpInput, path: string, key: string, index: number, defaultImm: number): OpSpec {
  if (typeof item === 'string') return { op: item, imm: defaultImm };
  let op: OpName;
  if (item.op !== undefined) {
    if (item.operation !== undefined) throw invalidJob(itemField(path, key, index, 'operation'), `give either 'op' or 'operation', not both`);
    op = item.op;
  } else if (item.operation !== undefined) {
    op = item.operation;
  } else {
    throw invalidJob(itemField(path, key, index, 'op'), `op is required; valid ops: ${OP_NAMES_TEXT}`);
  }
  return { op, imm: item.imm ?? defaultImm };
}

function itemField(path: string, key: string, index: number, field: string): string {
  return fieldPath(indexPath(fieldPath(path, key), index), field);
}

/**
 * Inline data: checked for size before the (linear) base64 scan, and the
 * window must lie inside it — a window past the end is an error, never shortened.
 */
function checkInlineWindow(data: string, path: string, offset: number, length: number | null, opts: ProgramLimits | undefined): void {
  const maxInline = opts?.maxInlineBytes ?? DEFAULT_LIMITS.maxInlineBytes;
  // Refuse oversized input before the linear scan: 4 chars carry 3 bytes, at most 2 of them padding.
  if (Math.floor(data.length / 4) * 3 - 2 > maxInline) throw inlineTooLarge(fieldPath(path, 'data'), maxInline);
  const size = base64ByteLength(data);
  if (size < 0) throw invalidJob(fieldPath(path, 'data'), 'data must be valid base64 (standard or URL-safe alphabet, padding optional, no whitespace)');
  if (size > maxInline) throw inlineTooLarge(fieldPath(path, 'data'), maxInline);
  if (offset > size) {
    throw new PacketFSError('WINDOW_OUT_OF_RANGE', `offset ${offset} is past the end of the ${size}-byte inline data`, { path: fieldPath(path, 'offset') });
  }
  if (length !== null && offset + length > size) {
    throw new PacketFSError('WINDOW_OUT_OF_RANGE', `window ${offset}..${offset + length} is past the end of the ${size}-byte inline data`, { path: fieldPath(path, 'length') });
  }
  const maxWindow = opts?.maxWindowBytes ?? DEFAULT_LIMITS.maxWindowBytes;
  if (length === null && size - offset > maxWindow) throw tooLarge(fieldPath(path, 'data'), `the window is ${size - offset} bytes, over the window limit of ${maxWindow}`);
}

function inlineTooLarge(path: string, maxInline: number): PacketFSError {
  return tooLarge(path, `inline data is over ${maxInline} bytes; upload it as a blob or use data_url`);
}
