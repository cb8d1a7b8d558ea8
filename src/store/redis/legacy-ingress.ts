import type { RedisClient } from './redis-connection.js';
import { toErrorBody, type ErrorBody } from '../../errors.js';
import type { JobSpec } from '../../job/types.js';
import type { Logger } from '../../logger.js';
import type { EnqueueOutcome } from '../job-store.js';
import { readLegacyEntry } from './legacy-entry.js';
import { scripts } from './lua-scripts.js';
import { isUnavailable } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import { backoffDelayMs, type BackoffPolicy } from '../../util/backoff.js';

/**
 * The original's ingress, kept working: jobs LPUSHed onto `<prefix>:jobs:queue`
 * are moved into the store's reliable queue in batches, oldest first (the
 * original popped from the other end: FIFO).
 *
 * Moving loses nothing if the process dies at any point:
 *   1. claim:   one script pops up to `batch` entries and files each, with a
 *               fresh entry number, in the queue's processing hash (atomic:
 *               an entry is always in the list or in the hash);
 *   2. process: valid entries are enqueued (idempotent by job_id; entries
 *               without one get a job_id derived from their number and
 *               content, so processing again enqueues nothing new), invalid
 *               ones become failed jobs or dead letters;
 *   3. release: the entries are deleted from the processing hash.
 * Entries left in the hash by a process that died (or lost Redis) are
 * reclaimed and processed again: all of them when a store starts, and any
 * older than staleMs while it runs. The one duplicate this can produce is a
 * second copy of a dead letter in `<prefix>:jobs:invalid` (a plain list in
 * another slot), if a crash falls between writing it and step 3.
 *
 * An entry never stalls the loop: whatever it contains ends up enqueued,
 * failed or dead-lettered. The dead-letter list keeps the newest
 * MAX_DEAD_LETTERS entries, each cut to MAX_DEAD_ENTRY_CHARS (with the
 * original length in `truncated_from`). Only Redis being unreachable pauses it; the
 * claimed batch is then kept and processed first once Redis answers again.
 *
 * States: idle ──start()──► running ──stop()──► stopped.
 */
/** Dead letters kept in `<prefix>:jobs:invalid` (newest first), and how much of each entry: a garbage flood must not fill Redis. */
export const MAX_DEAD_LETTERS = 1000;
export const MAX_DEAD_ENTRY_CHARS = 4096;

export interface IngressTarget {
  enqueue(jobs: JobSpec[]): Promise<EnqueueOutcome[]>;
  recordRejected(items: { jobId: string; error: ErrorBody }[]): Promise<void>;
}

export interface IngressOptions {
  /** most entries moved per round trip */
  batch: number;
  /** pause when the list is empty */
  pollMs: number;
  /** claimed entries older than this are taken to be abandoned */
  staleMs: number;
  logger: Logger;
}

export interface ClaimedEntry {
  number: string;
  raw: string;
}

type IngressState = 'idle' | 'running' | 'stopped';

/** most abandoned entries taken over at once; more wait for the next reclaim */
const RECLAIM_MAX = 100_000;
/** after a failed round: 100 ms doubling to 2 s, jittered (several dispatchers share the list) */
const INGRESS_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 2_000, jitter: 'equal' };

export class LegacyIngress {
  private state: IngressState = 'idle';
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** claimed entries whose processing failed for want of Redis: retried first */
  private pending: ClaimedEntry[] = [];

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly target: IngressTarget,
    private readonly opts: IngressOptions,
  ) {}

  start(): void {
    if (this.state !== 'idle') throw new Error(`ingress: start() in state ${this.state}`);
    this.state = 'running';
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.state === 'idle') this.state = 'stopped';
    if (this.state !== 'running') return;
    this.state = 'stopped';
    this.wake?.();
    await this.loop;
  }

  /** Step 1: moves up to `max` entries from the list into the processing hash, oldest first. */
  async claim(max: number): Promise<ClaimedEntry[]> {
    const reply = await scripts().ingressClaim.run(this.redis,
      [this.keys.ingress, this.keys.ingressProcessing, this.keys.ingressSeq], [max]) as (string | number)[];
    return pairs(reply);
  }

  /** Claimed entries older than staleMs (0: all), re-stamped as ours, in list order. */
  async reclaim(staleMs: number, max: number): Promise<ClaimedEntry[]> {
    const reply = await scripts().ingressReclaim.run(this.redis, [this.keys.ingressProcessing], [staleMs, max]) as (string | number)[];
    return pairs(reply).sort((a, b) => Number(a.number) - Number(b.number));
  }

  /** Steps 2 and 3 for a batch of claimed entries. Throws only when Redis is unavailable. */
  async process(entries: ClaimedEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const jobs: JobSpec[] = [];
    const rejected: { jobId: string; error: ErrorBody }[] = [];
    const dead: { entry: ClaimedEntry; error: ErrorBody }[] = [];
    const read = entries.map((entry) => ({ entry, outcome: readLegacyEntry(entry.raw, entry.number) }));
    for (const { entry, outcome } of read) {
      if (outcome.kind === 'job') jobs.push(outcome.job);
      else if (outcome.kind === 'rejected') rejected.push({ jobId: outcome.jobId, error: outcome.error });
      else dead.push({ entry, error: outcome.error });
    }
    try {
      if (jobs.length > 0) await this.target.enqueue(jobs);
      if (rejected.length > 0) await this.target.recordRejected(rejected);
    } catch (err) {
      if (isUnavailable(err)) throw err;
      // Redis refused the batch for a reason of its own: retry entry by entry
      // so one entry Redis cannot take does not hold up the others
      dead.push(...await this.isolate(read));
    }
    // the dead letters and the processing hash are in different slots (a Cluster cannot pipeline them together):
    // dead letters first, so an entry leaves the processing hash only once it is recorded somewhere
    if (dead.length > 0) {
      const at = new Date().toISOString();
      // push and trim in one MULTI (one key, so one slot on a Cluster too): nobody sees the list past its bound
      const [pushed] = await this.redis.multi()
        .lpush(this.keys.invalid, ...dead.map(({ entry, error }) => JSON.stringify({
          entry: entry.raw.length > MAX_DEAD_ENTRY_CHARS ? entry.raw.slice(0, MAX_DEAD_ENTRY_CHARS) : entry.raw,
          ...(entry.raw.length > MAX_DEAD_ENTRY_CHARS ? { truncated_from: entry.raw.length } : {}),
          error, at, ingress_number: Number(entry.number),
        })))
        .ltrim(this.keys.invalid, 0, MAX_DEAD_LETTERS - 1)
        .exec() ?? [];
      if (pushed?.[0]) throw pushed[0];
    }
    await this.redis.hdel(this.keys.ingressProcessing, ...entries.map((e) => e.number));
  }

  private async isolate(read: { entry: ClaimedEntry; outcome: ReturnType<typeof readLegacyEntry> }[]) {
    const dead: { entry: ClaimedEntry; error: ErrorBody }[] = [];
    for (const { entry, outcome } of read) {
      try {
        if (outcome.kind === 'job') await this.target.enqueue([outcome.job]);
        else if (outcome.kind === 'rejected') await this.target.recordRejected([{ jobId: outcome.jobId, error: outcome.error }]);
      } catch (err) {
        if (isUnavailable(err)) throw err;
        dead.push({ entry, error: toErrorBody(err) });
      }
    }
    return dead;
  }

  private async run(): Promise<void> {
    let failures = 0;
    let nextReclaimAt = 0;
    let staleMs = 0; // the first reclaim, at start-up, takes every claimed entry
    while (this.state === 'running') {
      try {
        if (this.pending.length > 0) {
          await this.process(this.pending);
          this.pending = [];
        }
        if (Date.now() >= nextReclaimAt) {
          // one reclaim call, so entries other live dispatchers claim meanwhile are left to them
          const old = await this.reclaim(staleMs, RECLAIM_MAX);
          for (let i = 0; i < old.length; i += this.opts.batch) {
            this.pending = old.slice(i, i + this.opts.batch);
            await this.process(this.pending);
            this.pending = [];
          }
          staleMs = this.opts.staleMs;
          nextReclaimAt = Date.now() + Math.max(1, Math.floor(this.opts.staleMs / 2));
        }
        const claimed = await this.claim(this.opts.batch);
        this.pending = claimed;
        await this.process(claimed);
        this.pending = [];
        failures = 0;
        if (claimed.length < this.opts.batch) await this.pause(this.opts.pollMs);
      } catch (err) {
        failures++;
        if (failures === 1 || !isUnavailable(err)) {
          this.opts.logger.warn({ store: 'redis', err: (err as Error).message }, 'ingress from the original job list paused');
        }
        await this.pause(backoffDelayMs(INGRESS_BACKOFF, failures - 1));
      }
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.state !== 'running') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() { clearTimeout(timer); resolve(); }
      this.wake = () => { this.wake = null; done(); };
    });
  }
}

function pairs(reply: (string | number)[]): ClaimedEntry[] {
  const out: ClaimedEntry[] = [];
  for (let i = 0; i < reply.length; i += 2) out.push({ number: String(reply[i]), raw: String(reply[i + 1]) });
  return out;
}
