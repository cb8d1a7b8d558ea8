import type { SpendItem } from '../job-store.js';
import type { FsyncMode } from './schema.js';
import type { TextBatch } from './text-batch.js';

/**
 * Messages between the SQLite store (sqlite-store.ts, on the dispatcher's
 * thread) and its writer thread (writer-thread.ts). Batches travel as
 * columns of primitives, already JSON-encoded where the row holds JSON
 * (except plain results, which the writer composes from their parts:
 * result-texts.ts): cloning flat arrays of strings and numbers is far
 * cheaper than cloning object graphs. The bulky
 * strings (specs, results, ids) travel as one transferred UTF-8 buffer
 * (text-batch.ts): cloning strings costs several copies per character.
 * The numeric columns of the hot writes (enqueue, finish) are Float64Arrays,
 * which the clone copies as one block; other arrays are built packed (push,
 * not new Array(n)): the clone writes an array with holes element by element
 * as a sparse object, ~5 times slower.
 */

/** rows one prune transaction deletes at most */
export const PRUNE_BATCH = 5000;

export interface WriterData {
  path: string;
  fsync: FsyncMode;
  /** what the opening thread counted, so the writer need not count again */
  results: number;
  resultBytes: number;
  finishSeq: number;
  maxResults: number;
  maxResultBytes: number;
}

/** New jobs, numbered firstSeq, firstSeq + 1, … (the store assigns seqs). */
export interface EnqueueWrite {
  op: 'enqueue';
  now: number;
  firstSeq: number;
  priority: ArrayLike<number>;
  maxAttempts: ArrayLike<number>;
  inline: ArrayLike<number>;
  /** ENQUEUE_TEXTS strings per job: id, created_at, substrates JSON ('' for null), spec JSON */
  texts: TextBatch;
}

/** strings per job in EnqueueWrite.texts */
export const ENQUEUE_TEXTS = 4;

/** Terminal writes; errors null (or no `errors` at all) keeps the row's attempt errors. */
export interface FinishWrite {
  op: 'finish';
  seq: ArrayLike<number>;
  state: ArrayLike<number>;
  attempts: ArrayLike<number>;
  /** the result records' JSON texts, or their parts (result-texts.ts) where `kind` says so */
  result: TextBatch;
  /** per row RESULT_JSON, RESULT_TRUSTED or RESULT_UNCHECKED (result-texts.ts); absent: all RESULT_JSON */
  kind?: Uint8Array;
  /** PLAIN_NUMBERS per row, read for the rows of a plain kind */
  numbers?: Float64Array;
  expiresAt: number;
  errors?: (string | null)[];
}

/** Back to the queue after an attempt: dueAt null = ready now. */
export interface RequeueWrite {
  op: 'requeue';
  seq: number[];
  state: number[];
  attempts: number[];
  dueAt: (number | null)[];
  errors: string[];
}

export interface AmendWrite {
  op: 'amend';
  now: number;
  id: string[];
  result: string[];
}

/** Retention: one batch, or (`all`) until nothing is due. */
export interface PruneWrite {
  op: 'prune';
  now: number;
  all: boolean;
}

/**
 * How many jobs this process holds leases on (leases live in its memory):
 * kept in `meta` so `packetfs store info` beside a running serve can tell
 * running jobs from queued ones (store-file.ts).
 */
export interface LeaseReport {
  op: 'leases';
  pid: number;
  at: number;
  running: number;
  /** false when the store closes: the report is removed */
  open: boolean;
}

/** a running store reports its lease count at least this often (store-file.ts treats much older reports as stale) */
export const LEASE_REPORT_MS = 5_000;

/** Spend to add to the day and month totals (spend-table.ts). */
export interface SpendWrite {
  op: 'spend';
  items: SpendItem[];
}

export type WriterOp = EnqueueWrite | FinishWrite | RequeueWrite | AmendWrite | PruneWrite | LeaseReport | SpendWrite;

export interface WriterRequest {
  id: number;
  op: WriterOp;
}

/**
 * Per op: enqueue → for inputs that were not created, [index, state code];
 * amend → per item whether it replaced a result; prune → rows deleted.
 */
export type WriterValue = Array<[number, number]> | boolean[] | number | null;

export type WriterReply =
  | { id: number; ok: true; value: WriterValue; results: number; resultBytes: number }
  | { id: number; ok: false; message: string };

/**
 * The writer's replies travel in groups, one message per commit, with the
 * text buffers of the requests answered, handed back for reuse (text-batch.ts TextBufferPool).
 */
export interface WriterReplies {
  replies: WriterReply[];
  buffers: ArrayBuffer[];
}
