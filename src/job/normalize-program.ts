import { PacketFSError } from '../errors.js';
import { OP_NAMES, type OpName, type OpSpec } from '../ops/types.js';
import { base64ByteLength } from '../util/base64.js';
import type { ProgramSpec } from './types.js';
import { DEFAULT_LIMITS, type ProgramLimits } from './limits.js';
import { fieldPath, indexPath } from './field-path.js';
import { invalidJob, tooLarge, unknownField } from './invalid-job.js';
import { isIntIn, isPlainObject } from './range-checks.js';

/**
 * Wire program (contracts §2) → ProgramSpec. `single` is accepted too, so a
 * normalised program normalises to itself (stores and retries may re-validate).
 */
const PROGRAM_FIELDS = [
  'op', 'imm', 'ops', 'operations', 'instructions',
  'data', 'data_url', 'blob', 'offset', 'length', 'fnv_state', 'single',
] as const;
const OP_ITEM_FIELDS = ['op', 'operation', 'imm'] as const;

const BLOB_ID = /^[A-Za-z0-9_-]{1,128}$/;
const HTTP_URL_PREFIX = /^https?:\/\//i;
const BLOB_PATH_PREFIX = '/v1/blobs/';
const FNV_STATE = /^[0-9a-fA-F]{16}$/;
/** URLs travel in every queued job and result; anything longer is a mistake or an attack. */
const MAX_DATA_URL_CHARS = 4096;
const VALID_OPS = OP_NAMES.join(', ');
const IMM_RULE = 'must be an integer 0..255';

export function normalizeProgram(input: unknown, path = 'program', opts?: ProgramLimits): ProgramSpec {
  if (!isPlainObject(input)) throw invalidJob(path, 'program must be an object with op or ops and one data source');

  let listKey: 'ops' | 'operations' | 'instructions' | undefined;
  let sourceKey: 'data' | 'data_url' | 'blob' | undefined;
  for (const key in input) {
    if (input[key] === undefined) continue;
    switch (key) {
      case 'ops': case 'operations': case 'instructions':
        if (listKey !== undefined) throw invalidJob(fieldPath(path, key), `give only one of 'ops', 'operations' or 'instructions', not '${listKey}' and '${key}'`);
        listKey = key;
        break;
      case 'data': case 'data_url': case 'blob':
        if (sourceKey !== undefined) throw invalidJob(fieldPath(path, key), `give exactly one data source ('data', 'data_url' or 'blob'), not '${sourceKey}' and '${key}'`);
        sourceKey = key;
        break;
      case 'op': case 'imm': case 'offset': case 'length': case 'fnv_state': case 'single':
        break;
      default:
        throw unknownField(fieldPath(path, key), key, PROGRAM_FIELDS);
    }
  }
  const hasOp = input.op !== undefined;
  if (hasOp && listKey !== undefined) throw invalidJob(fieldPath(path, listKey), `give either 'op' or '${listKey}', not both`);
  if (!hasOp && listKey === undefined) throw invalidJob(path, `program needs 'op' (one op) or 'ops' (a list); valid ops: ${VALID_OPS}`);
  if (sourceKey === undefined) throw invalidJob(path, `program needs one data source: 'data' (base64), 'data_url' or 'blob'`);

  const defaultImm = input.imm === undefined ? 0 : input.imm;
  if (!isIntIn(defaultImm, 0, 255)) throw invalidJob(fieldPath(path, 'imm'), `imm ${IMM_RULE}`);

  const shorthand = listKey === undefined;
  if (input.single !== undefined) {
    if (typeof input.single !== 'boolean') throw invalidJob(fieldPath(path, 'single'), 'single must be true or false');
    if (!input.single && shorthand) throw invalidJob(fieldPath(path, 'single'), `single cannot be false with the one-op 'op' form`);
  }
  // A stored ProgramSpec keeps the shorthand as `ops` + single: true.
  const single = shorthand || input.single === true;
  let ops: OpSpec[];
  if (shorthand) {
    const op = asOpName(input.op);
    if (op === undefined) throw unknownOp(input.op, fieldPath(path, 'op'));
    ops = [{ op, imm: defaultImm }];
  } else {
    ops = opList(input[listKey!], path, listKey!, defaultImm, opts?.maxOps ?? DEFAULT_LIMITS.maxOps);
  }
  if (single && ops.length !== 1) throw invalidJob(fieldPath(path, 'single'), 'single: true needs exactly one op');

  const offset = input.offset === undefined ? 0 : input.offset;
  if (!isIntIn(offset, 0, Number.MAX_SAFE_INTEGER)) throw invalidJob(fieldPath(path, 'offset'), 'offset must be an integer >= 0 (at most 2^53 - 1)');
  let length: number | null = null;
  if (input.length !== undefined && input.length !== null) {
    if (!isIntIn(input.length, 0, Number.MAX_SAFE_INTEGER)) throw invalidJob(fieldPath(path, 'length'), 'length must be an integer >= 0 (at most 2^53 - 1), or null for "to the end"');
    length = input.length;
    const maxWindow = opts?.maxWindowBytes ?? DEFAULT_LIMITS.maxWindowBytes;
    if (length > maxWindow) throw tooLarge(fieldPath(path, 'length'), `length ${length} is over the window limit of ${maxWindow} bytes`);
  }

  const spec: ProgramSpec = { ops, single, offset, length };
  const source = input[sourceKey];
  if (sourceKey === 'data') {
    checkInlineWindow(source, path, offset, length, opts);
    spec.data = source as string;
  } else if (sourceKey === 'data_url') {
    if (!isDataUrl(source)) {
      throw invalidJob(fieldPath(path, 'data_url'), `data_url must be an absolute http(s) URL or /v1/blobs/<blob id>, at most ${MAX_DATA_URL_CHARS} characters`);
    }
    spec.data_url = source;
  } else {
    if (typeof source !== 'string' || !BLOB_ID.test(source)) throw invalidJob(fieldPath(path, 'blob'), 'blob must be a blob id: 1..128 characters of A-Z a-z 0-9 _ -');
    spec.blob = source;
  }

  if (input.fnv_state !== undefined) {
    if (typeof input.fnv_state !== 'string' || !FNV_STATE.test(input.fnv_state)) {
      throw invalidJob(fieldPath(path, 'fnv_state'), 'fnv_state must be 16 hex digits (a 64-bit FNV-1a state)');
    }
    spec.fnv_state = input.fnv_state.toLowerCase();
  }
  return spec;
}

function asOpName(v: unknown): OpName | undefined {
  return typeof v === 'string' && (OP_NAMES as readonly string[]).includes(v) ? v as OpName : undefined;
}

function unknownOp(v: unknown, path: string): PacketFSError {
  const shown = typeof v === 'string' ? `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'` : `of type ${v === null ? 'null' : typeof v}`;
  return invalidJob(path, `unknown op ${shown}; valid ops: ${VALID_OPS}`);
}

function opList(list: unknown, path: string, key: string, defaultImm: number, maxOps: number): OpSpec[] {
  if (!Array.isArray(list)) throw invalidJob(fieldPath(path, key), `${key} must be an array of ops like {"op": "counteq", "imm": 7} or "crc32c"`);
  if (list.length === 0) throw invalidJob(fieldPath(path, key), `${key} must list at least one op`);
  if (list.length > maxOps) throw invalidJob(fieldPath(path, key), `${key} lists ${list.length} ops; at most ${maxOps} are allowed`);
  const ops = new Array<OpSpec>(list.length);
  for (let i = 0; i < list.length; i++) ops[i] = opItem(list[i], path, key, i, defaultImm);
  return ops;
}

/** One list item: a bare op name, or {op|operation, imm?}. Paths are built only to throw. */
function opItem(item: unknown, path: string, key: string, index: number, defaultImm: number): OpSpec {
  if (typeof item === 'string') {
    const op = asOpName(item);
    if (op === undefined) throw unknownOp(item, indexPath(fieldPath(path, key), index));
    return { op, imm: defaultImm };
  }
  if (!isPlainObject(item)) throw invalidJob(indexPath(fieldPath(path, key), index), 'each op must be an op name or an object like {"op": "counteq", "imm": 7}');
  let nameKey: 'op' | 'operation' | undefined;
  for (const field in item) {
    if (item[field] === undefined) continue;
    if (field === 'op' || field === 'operation') {
      if (nameKey !== undefined) throw invalidJob(itemField(path, key, index, field), `give either 'op' or 'operation', not both`);
      nameKey = field;
    } else if (field !== 'imm') {
      throw unknownField(itemField(path, key, index, field), field, OP_ITEM_FIELDS);
    }
  }
  if (nameKey === undefined) throw invalidJob(itemField(path, key, index, 'op'), `op is required; valid ops: ${VALID_OPS}`);
  const op = asOpName(item[nameKey]);
  if (op === undefined) throw unknownOp(item[nameKey], itemField(path, key, index, nameKey));
  const imm = item.imm === undefined ? defaultImm : item.imm;
  if (!isIntIn(imm, 0, 255)) throw invalidJob(itemField(path, key, index, 'imm'), `imm ${IMM_RULE}`);
  return { op, imm };
}

function itemField(path: string, key: string, index: number, field: string): string {
  return fieldPath(indexPath(fieldPath(path, key), index), field);
}

/**
 * Inline data: checked for size before the (linear) base64 scan, and the
 * window must lie inside it — a window past the end is an error, never shortened.
 */
function checkInlineWindow(data: unknown, path: string, offset: number, length: number | null, opts: ProgramLimits | undefined): void {
  if (typeof data !== 'string') throw invalidJob(fieldPath(path, 'data'), 'data must be a base64 string');
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

function isDataUrl(v: unknown): v is string {
  if (typeof v !== 'string' || v.length > MAX_DATA_URL_CHARS) return false;
  if (HTTP_URL_PREFIX.test(v)) return URL.canParse(v);
  return v.startsWith(BLOB_PATH_PREFIX) && BLOB_ID.test(v.slice(BLOB_PATH_PREFIX.length));
}
