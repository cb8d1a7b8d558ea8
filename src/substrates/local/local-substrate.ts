import os from 'node:os';
import type { Worker } from 'node:worker_threads';
import { PacketFSError, type ErrorCode } from '../../errors.js';
import type { ProgramSpec } from '../../job/types.js';
import type { FromWorker, PoolWorkerData, ToWorker, WorkerDataOptions } from '../../runtimes/node-worker/messages.js';
import type { Capabilities } from '../../scheduler/capabilities.js';
import type { ExecOutcome, ExecRequest, HealthReport, Substrate } from '../substrate.js';
import { spawnWorker } from './spawn-worker.js';
import { splitBatch } from './split-batch.js';
import { packPrograms } from './program-columns.js';

export interface LocalSubstrateOptions extends WorkerDataOptions {
  /** worker threads; default os.availableParallelism() */
  threads?: number;
  /** jobs in flight across the pool; default threads × 1024 */
  maxInFlight?: number;
  /** largest memory a job may declare; default half the machine's memory */
  maxMemoryMb?: number;
}

/** How long past a batch's latest deadline its worker may stay silent before it is replaced. */
const GRACE_MS = 1000;
const MAX_DURATION_S = 86_400;
const PING_TIMEOUT_MS = 2000;
const SLOTS_PER_THREAD = 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One batch message in flight on one worker: a contiguous slice of an execute() call's batch. */
interface Chunk {
  id: number;
  call: PendingCall;
  /** index of the chunk's first job in call.batch */
  start: number;
  count: number;
  sentAt: number;
  watchdog: NodeJS.Timeout;
}

interface PendingCall {
  batch: readonly ExecRequest[];
  outcomes: ExecOutcome[];
  chunksLeft: number;
  resolve: (outcomes: ExecOutcome[]) => void;
}

interface Slot {
  worker: Worker;
  running: Int32Array;
  alive: boolean;
  ready: boolean;
  /** jobs sent and not yet answered */
  inFlight: number;
  chunks: Map<number, Chunk>;
  pings: Map<number, () => void>;
}

/**
 * The local substrate: a pool of worker threads on this machine, fed in
 * batches. One execute() call becomes at most one message per worker (the
 * least-loaded workers take the most), and each message one reply, so the
 * per-job cost on the main thread is a slice of one structured clone.
 *
 * Each worker slot moves through:
 *   starting ──'ready'──► ready ──exit/error/overdue/close──► dead
 * A dead slot fails its in-flight jobs at once and, unless the pool is
 * closing, is replaced by a fresh one at the same index. A worker that dies
 * while still starting (it cannot load its code) is not respawned in a loop:
 * the slot stays dead, the pool reports unhealthy, and probe() retries it.
 *
 * Overdue batches: a CPU-bound op cannot be interrupted, so each message has a
 * watchdog at its latest deadline plus a grace. When it fires, the batch's
 * unanswered jobs get TIMEOUT; the worker itself is terminated only if that
 * batch is the one occupying the thread (read from a shared flag), since a
 * batch merely queued behind another one says nothing about the worker.
 */
export class LocalSubstrate implements Substrate {
  readonly name = 'local';
  readonly type = 'local';

  private readonly threads: number;
  private readonly maxInFlight: number;
  private readonly maxMemoryMb: number;
  private readonly dataOptions: WorkerDataOptions;
  private slots: Slot[] = [];
  private inFlight = 0;
  private nextId = 1;
  private closed = false;
  private lastFailure: string | null = null;

  constructor(opts: LocalSubstrateOptions = {}) {
    this.threads = positiveInt(opts.threads, os.availableParallelism(), 'threads');
    this.maxInFlight = positiveInt(opts.maxInFlight, this.threads * SLOTS_PER_THREAD, 'maxInFlight');
    this.maxMemoryMb = positiveInt(opts.maxMemoryMb, Math.floor(os.totalmem() / 2 / 2 ** 20), 'maxMemoryMb');
    this.dataOptions = {
      blobDir: opts.blobDir, allowPrivate: opts.allowPrivate, allowHosts: opts.allowHosts,
      ownOrigins: opts.ownOrigins, maxWindowBytes: opts.maxWindowBytes,
    };
  }

  capabilities(): Capabilities {
    return {
      max_concurrent_jobs: this.maxInFlight,
      max_memory_mb: this.maxMemoryMb,
      max_duration_seconds: MAX_DURATION_S,
      supports_gpu: false,
      supports_persistent_state: false,
      cost_per_hour_usd: 0,
      latency_ms: 0.1,
      available_slots: Math.max(0, this.liveCapacity() - this.inFlight),
      pricing: { model: 'free' },
      trust: 'trusted',
    };
  }

  /**
   * Starts the threads and waits until each has loaded its code (execute()
   * starts them too); rejects with SUBSTRATE_FAILED if one cannot start.
   */
  async start(): Promise<void> {
    this.ensureStarted();
    await Promise.all(this.slots.map((slot) => whenReady(slot)));
    if (this.slots.some((slot) => !slot.alive)) {
      throw new PacketFSError('SUBSTRATE_FAILED', `the local worker threads could not start: ${this.lastFailure}`);
    }
  }

  execute(batch: ExecRequest[]): Promise<ExecOutcome[]> {
    if (batch.length === 0) return Promise.resolve([]);
    if (this.closed) return Promise.resolve(batch.map(() => failure('SUBSTRATE_FAILED', 'the local substrate is closed', 0)));
    this.ensureStarted();
    const shares = splitBatch(this.slots.map((slot) => (slot.alive ? slot.inFlight : Infinity)), batch.length);
    if (shares.every((share) => share === 0)) {
      return Promise.resolve(batch.map(() => failure('SUBSTRATE_FAILED', `no live worker thread: ${this.lastFailure}`, 0)));
    }
    return new Promise((resolve) => {
      const call: PendingCall = { batch, outcomes: new Array<ExecOutcome>(batch.length), chunksLeft: 0, resolve };
      let start = 0;
      for (let i = 0; i < shares.length; i++) {
        const count = shares[i]!;
        if (count === 0) continue;
        call.chunksLeft++;
        this.send(this.slots[i]!, call, start, count);
        start += count;
      }
    });
  }

  async probe(): Promise<HealthReport> {
    if (this.closed) return { healthy: false, detail: 'closed' };
    this.ensureStarted();
    this.respawnDead();
    const live = this.slots.filter((slot) => slot.alive);
    if (live.length === 0) return { healthy: false, detail: `no live worker thread: ${this.lastFailure}` };
    const target = live.reduce((best, slot) => (slot.inFlight < best.inFlight ? slot : best));
    const latency = await this.ping(target);
    const healthy = live.length === this.slots.length;
    const report: HealthReport = { healthy };
    if (latency !== null) report.latency_ms = latency;
    if (!healthy) report.detail = `${this.slots.length - live.length} of ${this.slots.length} worker threads down: ${this.lastFailure}`;
    else if (latency === null) report.detail = `no ping reply within ${PING_TIMEOUT_MS} ms (threads busy)`;
    return report;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exits = this.slots.map((slot) => this.retire(slot, 'the local substrate was closed'));
    this.slots = [];
    await Promise.all(exits);
  }

  /**
   * For tests: terminates a worker thread behind the pool's back, exactly as
   * a crash looks from here. Resolves once the pool has noticed and replaced it.
   */
  async killWorkerForTest(index: number): Promise<void> {
    const slot = this.slots[index];
    if (slot === undefined) throw new RangeError(`no worker thread ${index}`);
    await slot.worker.terminate();
  }

  private ensureStarted(): void {
    if (this.slots.length > 0 || this.closed) return;
    for (let i = 0; i < this.threads; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const running = new Int32Array(new SharedArrayBuffer(4));
    const workerData: PoolWorkerData = { data: this.dataOptions, running };
    const worker = spawnWorker(workerData);
    // Idle threads must not keep the process alive; send() refs a busy one.
    worker.unref();
    const slot: Slot = { worker, running, alive: true, ready: false, inFlight: 0, chunks: new Map(), pings: new Map() };
    worker.on('message', (msg: FromWorker) => this.onMessage(slot, msg));
    worker.on('error', (err) => void this.onCrash(slot, `worker thread failed: ${err.message}`));
    worker.on('exit', (code) => void this.onCrash(slot, `worker thread exited with code ${code}`));
    return slot;
  }

  private send(slot: Slot, call: PendingCall, start: number, count: number): void {
    const programs = new Array<ProgramSpec>(count);
    const deadlines = new Float64Array(count);
    let latestDeadline = 0;
    for (let k = 0; k < count; k++) {
      const req = call.batch[start + k]!;
      programs[k] = req.program;
      deadlines[k] = req.deadline;
      if (req.deadline > latestDeadline) latestDeadline = req.deadline;
    }
    const id = this.takeId();
    const now = Date.now();
    // Even a batch already past its deadline gets the grace: the worker answers it with TIMEOUT itself.
    const delay = Math.min(Math.max(latestDeadline - now, 0) + GRACE_MS, MAX_TIMER_MS);
    const chunk: Chunk = { id, call, start, count, sentAt: now, watchdog: setTimeout(this.onOverdue, delay, slot, id) };
    chunk.watchdog.unref();
    if (slot.inFlight === 0 && slot.pings.size === 0) slot.worker.ref();
    slot.inFlight += count;
    this.inFlight += count;
    slot.chunks.set(id, chunk);
    slot.worker.postMessage({ type: 'batch', id, programs: packPrograms(programs), deadlines } satisfies ToWorker);
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    if (msg.type === 'done') {
      const chunk = slot.chunks.get(msg.id);
      // Absent when the watchdog already answered the batch with TIMEOUT.
      if (chunk === undefined) return;
      const answered = JSON.parse(msg.outcomes) as ExecOutcome[];
      const { call } = chunk;
      // A call served by one chunk takes the parsed array as it is.
      if (chunk.count === call.batch.length) call.outcomes = answered;
      else for (let k = 0; k < chunk.count; k++) call.outcomes[chunk.start + k] = answered[k]!;
      this.settle(slot, chunk);
    } else if (msg.type === 'pong') {
      slot.pings.get(msg.id)?.();
    } else {
      slot.ready = true;
    }
  }

  /** Arrow so setTimeout can call it without a closure per batch. */
  private readonly onOverdue = (slot: Slot, id: number): void => {
    const chunk = slot.chunks.get(id);
    if (chunk === undefined || !slot.alive) return;
    if (Atomics.load(slot.running, 0) === id) {
      void this.retire(slot, 'a batch ran past its deadline and its worker thread was replaced');
      return;
    }
    this.failChunk(chunk, 'the job passed its deadline (timeout_s) before the worker thread answered', 'worker thread unavailable');
    this.settle(slot, chunk);
  };

  private onCrash(slot: Slot, detail: string): Promise<void> {
    if (!slot.alive) return Promise.resolve();
    this.lastFailure = detail;
    return this.retire(slot, detail);
  }

  /**
   * Kills a slot's worker, fails everything it held and (unless closing, or
   * the worker never managed to start) puts a fresh worker in its place.
   */
  private retire(slot: Slot, detail: string): Promise<void> {
    if (!slot.alive) return Promise.resolve();
    slot.alive = false;
    for (const chunk of slot.chunks.values()) {
      this.failChunk(chunk, `the job passed its deadline (timeout_s); ${detail}`, detail);
      this.settle(slot, chunk);
    }
    for (const answer of slot.pings.values()) answer();
    const exited = slot.worker.terminate().then(() => undefined);
    const index = this.slots.indexOf(slot);
    if (!this.closed && slot.ready && index >= 0) this.slots[index] = this.spawn();
    return exited;
  }

  private respawnDead(): void {
    for (let i = 0; i < this.slots.length; i++) {
      if (!this.slots[i]!.alive) this.slots[i] = this.spawn();
    }
  }

  /** Fills a chunk's outcomes: TIMEOUT for jobs past their deadline, SUBSTRATE_FAILED for the rest. */
  private failChunk(chunk: Chunk, timeoutMessage: string, failedMessage: string): void {
    const now = Date.now();
    const elapsed = now - chunk.sentAt;
    const { batch, outcomes } = chunk.call;
    for (let k = chunk.start; k < chunk.start + chunk.count; k++) {
      outcomes[k] = batch[k]!.deadline <= now
        ? failure('TIMEOUT', timeoutMessage, elapsed)
        : failure('SUBSTRATE_FAILED', failedMessage, elapsed);
    }
  }

  /** Removes an answered chunk and resolves its execute() call when it was the last one. */
  private settle(slot: Slot, chunk: Chunk): void {
    clearTimeout(chunk.watchdog);
    slot.chunks.delete(chunk.id);
    slot.inFlight -= chunk.count;
    this.inFlight -= chunk.count;
    if (slot.inFlight === 0 && slot.pings.size === 0) slot.worker.unref();
    if (--chunk.call.chunksLeft === 0) chunk.call.resolve(chunk.call.outcomes);
  }

  /** Round trip of one ping through a worker, or null when it does not answer in time. */
  private ping(slot: Slot): Promise<number | null> {
    const id = this.takeId();
    const sentAt = performance.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => answer(null), PING_TIMEOUT_MS);
      const answer = (latency: number | null): void => {
        clearTimeout(timer);
        slot.pings.delete(id);
        if (slot.inFlight === 0 && slot.pings.size === 0 && slot.alive) slot.worker.unref();
        resolve(latency);
      };
      slot.pings.set(id, () => answer(slot.alive ? performance.now() - sentAt : null));
      slot.worker.ref();
      slot.worker.postMessage({ type: 'ping', id } satisfies ToWorker);
    });
  }

  /** Ids are unique across the pool and fit the shared Int32 flag (0 means "none"). */
  private takeId(): number {
    const id = this.nextId;
    this.nextId = id >= 0x7fffffff ? 1 : id + 1;
    return id;
  }

  /** Slots scale with the threads alive, so a crippled pool attracts less work. */
  private liveCapacity(): number {
    if (this.slots.length === 0) return this.closed ? 0 : this.maxInFlight;
    let live = 0;
    for (const slot of this.slots) if (slot.alive) live++;
    return Math.floor((this.maxInFlight * live) / this.slots.length);
  }
}

function failure(code: ErrorCode, message: string, execTimeMs: number): ExecOutcome {
  return { ok: false, error: { code, message }, retryable: true, exec_time_ms: execTimeMs };
}

function whenReady(slot: Slot): Promise<void> {
  if (slot.ready || !slot.alive) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      slot.worker.off('message', onMessage);
      slot.worker.off('exit', done);
      resolve();
    };
    const onMessage = (msg: FromWorker): void => { if (msg.type === 'ready') done(); };
    slot.worker.on('message', onMessage);
    slot.worker.on('exit', done);
  });
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`LocalSubstrate: ${name} must be a positive integer, got ${value}`);
  return value;
}
