import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { applyConnectionSettings, LEASES_KEY, STATE } from './schema.js';
import { SpendTable } from './spend-table.js';
import { INSERT_PARAMS, INSERT_ROWS, isExpired, prepareWrites } from './statements.js';
import { unpackTexts } from './text-batch.js';
import { PLAIN_NUMBERS, PLAIN_TEXTS, plainResultJson, RESULT_JSON } from './result-texts.js';
import {
  ENQUEUE_TEXTS, PRUNE_BATCH, type AmendWrite, type EnqueueWrite, type FinishWrite, type PruneWrite, type RequeueWrite, type WriterData, type WriterReplies, type WriterReply, type WriterRequest, type WriterValue,
} from './writer-protocol.js';

/**
 * The SQLite store's writer thread: the only connection that writes
 * packetfs.db while a store has it open, so the dispatcher's thread never
 * waits for SQLite to insert, update, commit or prune.
 *
 * Group commit: when a request arrives, every request already waiting on the
 * port is taken too, and the writes among them run in two transactions, the
 * new jobs' first (their submitters wait for the answer), then the rest;
 * each request is answered only after its transaction's commit (a store call resolves only
 * once its writes are in the file). If the group's transaction fails, each
 * request is retried in its own, so only the one at fault reports an error.
 *
 * State: the retention counters (results kept and their bytes) and the
 * finish sequence live here, since only this thread changes them; every
 * reply carries the counters back. Pruning runs here too, one batch of
 * PRUNE_BATCH rows per transaction, yielding to waiting writes between
 * batches. Lifecycle: open → serving requests → 'close' request (answered,
 * then the connection and the port close and the thread ends).
 */

const { port, ...data } = workerData as WriterData & { port: MessagePort };
const db = new Database(data.path, { fileMustExist: true });
applyConnectionSettings(db, data.fsync);
const w = prepareWrites(db);
const spend = new SpendTable(db);
let results = data.results;
let resultBytes = data.resultBytes;
let finishSeq = data.finishSeq;

port.on('message', (first: WriterRequest | 'close') => {
  const group: WriterRequest[] = [];
  let closing = first === 'close';
  if (!closing) group.push(first as WriterRequest);
  while (!closing) {
    const m = receiveMessageOnPort(port);
    if (m === undefined) break;
    if (m.message === 'close') closing = true;
    else group.push(m.message as WriterRequest);
  }
  const replies: WriterReply[] = [];
  // new jobs first, answered at their own commit: a submitter waits for that answer, while completions
  // waiting here do not hold anyone up (their jobs already ran), so they go in the next transaction
  const enqueues = group.filter((r) => r.op.op === 'enqueue');
  const writes = group.filter((r) => r.op.op !== 'prune' && r.op.op !== 'enqueue');
  if (enqueues.length > 0) {
    writeGroup(enqueues, replies);
    if (writes.length > 0) reply(replies.splice(0), enqueues);
  }
  if (writes.length > 0) writeGroup(writes, replies);
  for (const r of group) if (r.op.op === 'prune') replies.push(answer(r.id, () => prune(r.op as PruneWrite)));
  if (replies.length > 0) reply(replies, writes.length > 0 ? writes : enqueues);
  if (closing) {
    db.close();
    port.close();
  }
});

/** Sends answers, handing the text buffers of `done` back (their strings were copied out when decoded). */
function reply(replies: WriterReply[], done: WriterRequest[]): void {
  const buffers: ArrayBuffer[] = [];
  for (const r of done) {
    const batch = r.op.op === 'enqueue' ? r.op.texts : r.op.op === 'finish' ? r.op.result : null;
    if (batch !== null && batch.bytes.buffer.byteLength > 0) buffers.push(batch.bytes.buffer as ArrayBuffer);
  }
  const message: WriterReplies = { replies, buffers };
  port.postMessage(message, buffers);
}

function writeGroup(writes: WriterRequest[], replies: WriterReply[]): void {
  const before = { results, resultBytes, finishSeq };
  try {
    const values = db.transaction(() => {
      const out = writes.map((r) => apply(r));
      trimToBounds(writes);
      return out;
    })();
    for (let i = 0; i < writes.length; i++) replies.push({ id: (writes[i] as WriterRequest).id, ok: true, value: values[i] as WriterValue, results, resultBytes });
    return;
  } catch {
    ({ results, resultBytes, finishSeq } = before);
  }
  for (const r of writes) {
    const one = { results, resultBytes, finishSeq };
    try {
      const value = db.transaction(() => {
        const out = apply(r);
        trimToBounds([r]);
        return out;
      })();
      replies.push({ id: r.id, ok: true, value, results, resultBytes });
    } catch (err) {
      ({ results, resultBytes, finishSeq } = one);
      replies.push({ id: r.id, ok: false, message: (err as Error).message });
    }
  }
}

function answer(id: number, fn: () => WriterValue): WriterReply {
  try {
    return { id, ok: true, value: fn(), results, resultBytes };
  } catch (err) {
    return { id, ok: false, message: (err as Error).message };
  }
}

function apply(r: WriterRequest): WriterValue {
  switch (r.op.op) {
    case 'enqueue': return enqueue(r.op);
    case 'finish': return finish(r.op);
    case 'requeue': return requeue(r.op);
    case 'amend': return amend(r.op);
    case 'spend': spend.write(r.op.items);
      return null;
    case 'leases':
      if (r.op.open) w.putMeta.run(LEASES_KEY, JSON.stringify({ pid: r.op.pid, at: r.op.at, running: r.op.running }));
      else w.deleteMeta.run(LEASES_KEY);
      return null;
    case 'prune': return never();
  }
}

/**
 * Inserts the new jobs INSERT_ROWS per statement. An id already in the file
 * makes its row a no-op (ON CONFLICT DO NOTHING); a statement that inserted
 * fewer rows than it had is looked at row by row (rare: resubmitted ids).
 */
function enqueue(op: EnqueueWrite): Array<[number, number]> {
  const existing: Array<[number, number]> = [];
  const texts = unpackTexts(op.texts);
  const n = op.priority.length;
  let i = 0;
  for (; i + INSERT_ROWS <= n; i += INSERT_ROWS) {
    for (let k = 0; k < INSERT_ROWS; k++) bindRow(manyParams, k * INSERT_PARAMS, op, texts, i + k);
    if (w.insertMany.run(manyParams).changes === INSERT_ROWS) continue;
    for (let k = i; k < i + INSERT_ROWS; k++) settleConflict(op, texts, k, existing);
  }
  for (; i < n; i++) if (insertOne(op, texts, i) !== 1) settleConflict(op, texts, i, existing);
  // the parameters are slices of the batch's text: let it go
  manyParams.fill(null);
  oneParams.fill(null);
  return existing;
}

/** parameter arrays reused by every insert (better-sqlite3 binds an array's elements in order) */
const manyParams: unknown[] = new Array<unknown>(INSERT_ROWS * INSERT_PARAMS).fill(null);
const oneParams: unknown[] = new Array<unknown>(INSERT_PARAMS).fill(null);

/** Job i's INSERT_PARAMS parameters (statements.ts), from `at` on. */
function bindRow(params: unknown[], at: number, op: EnqueueWrite, texts: string[], i: number): void {
  const t = i * ENQUEUE_TEXTS;
  const substrates = texts[t + 2] as string;
  params[at] = op.firstSeq + i;
  params[at + 1] = texts[t];
  params[at + 2] = op.priority[i];
  params[at + 3] = op.maxAttempts[i];
  params[at + 4] = op.now;
  params[at + 5] = texts[t + 1];
  params[at + 6] = substrates === '' ? null : substrates;
  params[at + 7] = texts[t + 3];
  params[at + 8] = op.inline[i];
}

function insertOne(op: EnqueueWrite, texts: string[], i: number): number {
  bindRow(oneParams, 0, op, texts, i);
  return w.insert.run(oneParams).changes;
}

/** Job i's row was not inserted by its statement, or may not have been: find out why, and insert it if its id was free after all. */
function settleConflict(op: EnqueueWrite, texts: string[], i: number, existing: Array<[number, number]>): void {
  const row = w.stateById.get(texts[i * ENQUEUE_TEXTS]) as { seq: number; state: number; done: number; due_at: number | null; bytes: number };
  // inserted by its own statement (another row of that statement was the conflict)
  if (row.seq === op.firstSeq + i) return;
  if (!isExpired(row, op.now)) {
    existing.push([i, row.state]);
    return;
  }
  // its result expired but was not pruned yet: the id is free again
  w.deleteSeq.run(row.seq);
  results--;
  resultBytes -= row.bytes;
  insertOne(op, texts, i);
}

function finish(op: FinishWrite): null {
  const texts = unpackTexts(op.result);
  let t = 0;
  for (let i = 0; i < op.seq.length; i++) {
    const state = op.state[i] as number;
    const kind = op.kind === undefined ? RESULT_JSON : op.kind[i] as number;
    let json: string;
    if (kind === RESULT_JSON) {
      json = texts[t++] as string;
    } else {
      json = plainResultJson(kind, texts, t, op.numbers as Float64Array, i * PLAIN_NUMBERS);
      t += PLAIN_TEXTS;
    }
    const errors = op.errors?.[i] ?? null;
    const seq = finishSeq + 1;
    const changes = errors === null
      ? w.finish.run(state, state, op.attempts[i], json, json.length, op.expiresAt, seq, op.seq[i]).changes
      : w.finishWithErrors.run(state, state, op.attempts[i], json, json.length, op.expiresAt, seq, errors, op.seq[i]).changes;
    if (changes === 0) continue;
    finishSeq = seq;
    results++;
    resultBytes += json.length;
  }
  return null;
}

function requeue(op: RequeueWrite): null {
  for (let i = 0; i < op.seq.length; i++) w.requeue.run(op.state[i], op.attempts[i], op.dueAt[i], op.errors[i], op.seq[i]);
  return null;
}

function amend(op: AmendWrite): boolean[] {
  return op.id.map((id, i) => {
    const row = w.stateById.get(id) as { seq: number; state: number; done: number; due_at: number | null; bytes: number } | undefined;
    if (row === undefined || row.state !== STATE.succeeded || isExpired(row, op.now)) return false;
    const json = op.result[i] as string;
    w.amendResult.run(json, json.length, row.seq);
    resultBytes += json.length - row.bytes;
    return true;
  });
}

/**
 * Deletes expired results and, beyond maxResults / maxResultBytes, the
 * oldest: one batch (the store asks again while batches come back full, so
 * writes waiting meanwhile go first), or (`all`) until nothing is due.
 */
function prune(op: PruneWrite): number {
  let removed = 0;
  for (;;) {
    const n = pruneBatch(op.now);
    removed += n;
    if (n < PRUNE_BATCH || !op.all) break;
  }
  vacuumIfSparse();
  return removed;
}

/**
 * Keeps the results within maxResults / maxResultBytes in the transaction
 * that went over them: a group's finishes delete as many of the oldest
 * results as they add (at least), so the count never runs ahead of the
 * bound however far pruning requests lag, and the pages the deletes free
 * are reused by the next inserts instead of the file growing. Expiry by age
 * stays with the timed prune.
 */
function trimToBounds(writes: WriterRequest[]): void {
  if (results <= data.maxResults && resultBytes <= data.maxResultBytes) return;
  let finished = 0;
  for (const r of writes) if (r.op.op === 'finish') finished += r.op.seq.length;
  if (finished > 0) deleteOldest(0, Math.max(PRUNE_BATCH, finished));
}

/** The oldest finished rows that are expired or beyond the bounds, deleted by finish order in one statement. */
function pruneBatch(now: number): number {
  return db.transaction(() => deleteOldest(now, PRUNE_BATCH))();
}

/** Deletes (in the caller's transaction) up to `max` of the oldest results that are expired at `now` (0: none is) or beyond the bounds. */
function deleteOldest(now: number, max: number): number {
  // walk the oldest rows (usually none is due: this stops at the first row) to the last one to delete
  let count = results;
  let bytes = resultBytes;
  let k = 0;
  let through = 0;
  for (const row of w.oldestFinished.iterate(max) as IterableIterator<{ finishSeq: number; dueAt: number | null; bytes: number }>) {
    const expired = row.dueAt !== null && row.dueAt <= now;
    if (!expired && count <= data.maxResults && bytes <= data.maxResultBytes) break;
    count--;
    bytes -= row.bytes;
    through = row.finishSeq;
    k++;
  }
  if (k === 0) return 0;
  let removed = 0;
  for (const b of w.deleteFinishedThrough.pluck().all(through) as number[]) {
    removed++;
    results--;
    resultBytes -= b;
  }
  return removed;
}

/** Free pages are reused by new rows; only a large surplus (e.g. after a burst) goes back to the OS. */
function vacuumIfSparse(): void {
  const free = db.pragma('freelist_count', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  if (free > 4096 && free * 4 > pages) db.pragma(`incremental_vacuum(${free - Math.floor(pages / 8)})`);
}


function never(): never {
  throw new Error('unreachable');
}
