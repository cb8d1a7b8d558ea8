import type { Redis } from 'ioredis';
import { PacketFSError, type ErrorBody } from '../../errors.js';
import { TERMINAL_STATUSES, type JobSpec, type JobStatus, type MetricRecord, type ResultRecord } from '../../job/types.js';
import { silentLogger, type Logger } from '../../logger.js';
import type {
  Amendment, Completion, Deferral, EnqueueOutcome, JobStore, JobView, Lease, ListPage, ListQuery, QueueDepth, Retry, SpendItem, SpendTotals, StoreOptions,
} from '../job-store.js';
import { spendIncrements, spendKeys, spendTotalsOf } from '../spend-periods.js';
import { metricOf } from '../terminal-records.js';
import { LegacyIngress } from './legacy-ingress.js';
import { preloadScripts, scripts } from './lua-scripts.js';
import { RedisSnapshotBoard } from './redis-snapshot-board.js';
import { openRedis, storeError, watchConnection, type ConnectionOptions } from './redis-connection.js';
import { redisKeys, type RedisKeys } from './redis-keys.js';
import { deliverOutbox, outboxItemJson, parseOutboxValue, type OutboxItem } from './result-outbox.js';
import { ResultWaiters } from './result-waiters.js';
import { readStoredResult, viewOfRecord } from './stored-result.js';

/**
 * The Redis JobStore: many dispatcher processes share one queue.
 *
 * Design (docs/redis-store.md has the long version). Not Streams: a stream
 * entry cannot carry a priority, and take() must hand out the highest
 * priority first. Instead, per queue, under one hash tag `{<queue>}`:
 *   ready     ZSET score -priority, member "<seq:15 digits>|<id>": ZPOPMIN is
 *             highest priority first, then enqueue order (equal scores sort
 *             by member)
 *   leases    ZSET score = lease expiry; take() reclaims expired ones
 *   delayed   ZSET score = ready time; take() promotes due ones
 *   job:<id>  HASH spec, status, attempts, errors… (dropped resultTtlMs after
 *             the job finishes)
 *   idx:*     ZSET per terminal status, and one for queued + running jobs,
 *             score = enqueue seq, for list()
 *   outbox    HASH results on their way to the original's keys
 * Every batch operation is one Lua script call (EVALSHA), so one round trip
 * carries a whole batch. A lease token is "<seq>.<attempt>": taking the job
 * again makes older tokens stale, and a stale token completes, retries or
 * extends nothing. The first terminal write wins, decided in the script.
 *
 * The original dispatcher's keys (contracts §5) keep working: results at
 * `<prefix>:results:<id>` (TTL resultTtlMs) and metrics in `<prefix>:metrics`
 * (newest first, trimmed to metricsLimit) are written by the complete script
 * itself, or — in outbox mode (Redis Cluster), and always for lease-expiry
 * failures, cancels and ingress rejections — by the outbox delivery right
 * after the deciding script (result-outbox.ts explains why and what it
 * guarantees). Jobs LPUSHed onto `<prefix>:jobs:queue` are moved into the
 * queue by a background loop (legacy-ingress.ts).
 *
 * Outages: calls fail at once with STORE_UNAVAILABLE while Redis is away,
 * ready() answers false, and the same client reconnects with backoff;
 * background work (ingress, outbox recovery, sweeping) pauses and resumes.
 */
export interface RedisStoreOptions extends StoreOptions, ConnectionOptions {
  /** first part of every key; default 'packetfs' (the original's keys) */
  prefix?: string;
  /** queue name, the hash tag of the queue's keys; default 'default' */
  queueName?: string;
  /** move jobs LPUSHed onto `<prefix>:jobs:queue` into this queue; default true */
  ingress?: boolean;
  /** most entries the ingress moves per round trip; default 1000 */
  ingressBatch?: number;
  /** ingress pause when the list is empty; default 100 ms */
  ingressPollMs?: number;
  /** claimed ingress entries older than this are taken over from their (dead) claimer; default 30 s */
  ingressStaleMs?: number;
  /** outbox entries older than this are delivered by whoever finds them; default 10 s */
  outboxStaleMs?: number;
  /**
   * complete() files results in the outbox and copies them to the original's
   * keys with a second round trip, as Redis Cluster requires (those keys are
   * in other slots). Default false: the complete script writes them itself,
   * atomically and in the same round trip, which a standalone Redis allows.
   * Lease-expiry failures, cancels and ingress rejections use the outbox either way.
   */
  outbox?: boolean;
  /** period of outbox recovery and index sweeping; default 5 s */
  maintenanceMs?: number;
  /** fallback poll period of waitForResult; default 1 s */
  resultPollMs?: number;
  logger?: Logger;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** most expired leases / due delayed jobs one take() handles, besides what it leases */
const TAKE_SWEEP_MAX = 1000;
const SWEEP_BATCH = 5000;
/** most index members one list() call examines, so a page of a rare status cannot keep Redis busy long */
const LIST_SCAN_MAX = 10_000;
const CURSOR = /^s(\d{1,16})$/;

interface ViewMeta {
  p: number;
  c: string;
  s: string[] | null;
}

export class RedisJobStore implements JobStore {
  readonly kind = 'redis';
  readonly snapshots: RedisSnapshotBoard;

  private readonly keys: RedisKeys;
  private readonly resultTtlMs: number;
  private readonly metricsLimit: number;
  private readonly outboxStaleMs: number;
  private readonly outbox: boolean;
  private readonly logger: Logger;
  private readonly waiters: ResultWaiters;
  private readonly ingress: LegacyIngress | null;
  private maintenanceTimer: NodeJS.Timeout | null = null;
  private maintenanceRun: Promise<void> | null = null;
  private closed = false;

  static async connect(url: string, opts: RedisStoreOptions = {}): Promise<RedisJobStore> {
    const redis = await openRedis(url, opts, opts.logger ?? silentLogger);
    try {
      return new RedisJobStore(redis, opts);
    } catch (err) {
      redis.disconnect();
      throw err;
    }
  }

  private constructor(private readonly redis: Redis, opts: RedisStoreOptions) {
    this.keys = redisKeys(opts.prefix ?? 'packetfs', opts.queueName ?? 'default');
    this.snapshots = new RedisSnapshotBoard(redis, { index: this.keys.snapshotIndex, snapshot: this.keys.snapshot });
    this.resultTtlMs = positiveInt(opts.resultTtlMs ?? DAY_MS, 'resultTtlMs');
    this.metricsLimit = nonNegativeInt(opts.metricsLimit ?? 10_000, 'metricsLimit');
    this.outboxStaleMs = nonNegativeInt(opts.outboxStaleMs ?? 10_000, 'outboxStaleMs');
    this.outbox = opts.outbox ?? false;
    this.logger = opts.logger ?? silentLogger;
    this.waiters = new ResultWaiters({
      openSubscriber: () => {
        // a subscriber may queue its SUBSCRIBE until connected: it is re-sent after every reconnection anyway
        const sub = redis.duplicate({ lazyConnect: false, enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
        watchConnection(sub, this.logger, 'redis-subscriber');
        return sub;
      },
      channel: this.keys.done,
      fetch: (ids) => this.readResults(ids),
      pollMs: positiveInt(opts.resultPollMs ?? 1000, 'resultPollMs'),
      logger: this.logger,
    });
    this.ingress = opts.ingress === false ? null : new LegacyIngress(redis, this.keys, this, {
      batch: positiveInt(opts.ingressBatch ?? 1000, 'ingressBatch'),
      pollMs: positiveInt(opts.ingressPollMs ?? 100, 'ingressPollMs'),
      staleMs: nonNegativeInt(opts.ingressStaleMs ?? 30_000, 'ingressStaleMs'),
      logger: this.logger,
    });
    const preload = () => preloadScripts(redis).catch(() => { /* NOSCRIPT falls back to EVAL */ });
    redis.on('ready', preload);
    void preload();
    this.ingress?.start();
    const maintenanceMs = positiveInt(opts.maintenanceMs ?? 5000, 'maintenanceMs');
    this.maintenanceTimer = setInterval(() => this.maintain(), maintenanceMs);
    this.maintenanceTimer.unref();
    this.maintain();
  }

  async enqueue(jobs: JobSpec[]): Promise<EnqueueOutcome[]> {
    if (jobs.length === 0) return [];
    const args: (string | number)[] = [this.keys.jobPrefix];
    for (const job of jobs) {
      const meta: ViewMeta = { p: job.priority, c: job.created_at, s: job.substrates };
      args.push(job.job_id, JSON.stringify(job), JSON.stringify(meta), job.priority, job.max_attempts);
    }
    const reply = await this.run('enqueue', args) as (number | string)[];
    return jobs.map((job, i) => ({ job_id: job.job_id, created: reply[2 * i] === 1, status: reply[2 * i + 1] as JobStatus }));
  }

  async take(max: number, leaseMs: number): Promise<Lease[]> {
    const want = max >= 1 ? Math.floor(max) : 0;
    const [field, expired, flat] = await this.run('take',
      [this.keys.jobPrefix, want, Math.max(0, Math.round(leaseMs)), this.resultTtlMs, TAKE_SWEEP_MAX]) as [string, string, (string | number)[]];
    if (field !== '') await this.deliver(field, parseOutboxValue(expired));
    const leases: Lease[] = new Array(flat.length / 5);
    for (let i = 0, j = 0; i < flat.length; i += 5, j++) {
      const attempt = Number(flat[i + 1]);
      const errors = flat[i + 4] as string;
      leases[j] = {
        job: JSON.parse(flat[i] as string) as JobSpec,
        attempt,
        token: `${flat[i + 2]}.${attempt}`,
        enqueuedAt: Number(flat[i + 3]),
        errors: errors === '' ? [] : JSON.parse(errors),
      };
    }
    return leases;
  }

  async extendLeases(leases: Lease[], leaseMs: number): Promise<boolean[]> {
    if (leases.length === 0) return [];
    const args: (string | number)[] = [this.keys.jobPrefix, Math.max(0, Math.round(leaseMs))];
    for (const lease of leases) args.push(lease.job.job_id, lease.token);
    const flags = await this.run('extendLeases', args, [this.keys.leases]) as number[];
    return flags.map((f) => f === 1);
  }

  async complete(items: Completion[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    const args: (string | number)[] = [this.keys.jobPrefix, this.resultTtlMs, this.outbox ? '' : this.keys.result(''),
      this.keys.metrics, this.metricsLimit, this.keys.done];
    const delivered: OutboxItem[] = new Array(items.length);
    items.forEach((item, i) => {
      const status = item.result.status;
      if (status !== 'succeeded' && status !== 'failed') {
        throw new PacketFSError('INTERNAL', `complete() takes succeeded or failed results, got '${status}' for ${item.lease.job.job_id}`);
      }
      const out = { id: item.lease.job.job_id, record: JSON.stringify(item.result), metric: JSON.stringify(item.metric) };
      delivered[i] = out;
      args.push(out.id, item.lease.token, status, out.record, out.metric);
    });
    const [field, flags] = await this.run('complete', args) as [string, number[]];
    if (field !== '') await this.deliver(field, delivered.filter((_, i) => flags[i] === 1));
    return flags.map((f) => f === 1);
  }

  /**
   * Results live at the original's `results:<id>` keys (other slots than the
   * queue on a Cluster), so this is plain commands, not a script: SET ... XX
   * KEEPTTL replaces a record only while it exists, and the metric record is
   * found by its exact JSON (LPOS) and replaced where it sits (LSET).
   */
  async amend(items: Amendment[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    const stored = await this.guard(() => this.readResults(items.map((i) => i.result.job_id)));
    const replies = await this.guard(async () => {
      const pipe = this.redis.pipeline();
      items.forEach((item, i) => {
        const old = stored[i];
        if (old === null || old === undefined || old.status !== 'succeeded') return;
        pipe.set(this.keys.result(item.result.job_id), JSON.stringify(item.result), 'KEEPTTL', 'XX');
        pipe.lpos(this.keys.metrics, JSON.stringify(metricOf(old)));
      });
      return (await pipe.exec()) ?? [];
    });
    const written: boolean[] = new Array(items.length).fill(false);
    const fix = this.redis.pipeline();
    let r = 0;
    items.forEach((item, i) => {
      const old = stored[i];
      if (old === null || old === undefined || old.status !== 'succeeded') return;
      const [setErr, ok] = replies[r++]!;
      const [, position] = replies[r++]!;
      written[i] = !setErr && ok === 'OK';
      if (written[i] && typeof position === 'number') fix.lset(this.keys.metrics, position, JSON.stringify(item.metric));
    });
    // Announced like a first result, so waiters in other processes (and anything following the channel) see the new record.
    const amended = items.filter((_, i) => written[i]).map((item) => item.result.job_id);
    if (amended.length > 0) fix.publish(this.keys.done, JSON.stringify(amended));
    // A metric trimmed or moved meanwhile is simply not replaced: the result record is what counts.
    if (fix.length > 0) await this.guard(() => fix.exec()).catch(() => undefined);
    return written;
  }

  async retryLater(items: Retry[]): Promise<void> {
    if (items.length === 0) return;
    const args: (string | number)[] = [this.keys.jobPrefix];
    for (const item of items) {
      args.push(item.lease.job.job_id, item.lease.token, Math.max(0, Math.round(item.delayMs)), JSON.stringify(item.error));
    }
    await this.run('retryLater', args);
  }

  async defer(items: Deferral[]): Promise<void> {
    if (items.length === 0) return;
    const args: (string | number)[] = [this.keys.jobPrefix];
    for (const item of items) {
      args.push(item.lease.job.job_id, item.lease.token, Math.max(0, Math.round(item.delayMs)), item.reason);
    }
    await this.run('defer', args);
  }

  /** HINCRBYFLOAT per (period, substrate): atomic across dispatchers; period hashes expire long after their period. */
  async addSpend(items: SpendItem[]): Promise<void> {
    const increments = spendIncrements(items);
    if (increments.size === 0) return;
    await this.guard(async () => {
      const pipe = this.redis.pipeline();
      for (const [period, bySubstrate] of increments) {
        const key = this.keys.spend(period);
        for (const [substrate, usd] of bySubstrate) pipe.hincrbyfloat(key, substrate, usd);
        pipe.pexpire(key, period.startsWith('d:') ? SPEND_DAY_KEEP_MS : SPEND_MONTH_KEEP_MS);
      }
      for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
    });
  }

  async spendTotals(at: number): Promise<SpendTotals> {
    const keys = spendKeys(at);
    const [day, month] = await this.guard(() => Promise.all([this.redis.hgetall(this.keys.spend(keys.day)), this.redis.hgetall(this.keys.spend(keys.month))]));
    const pairs = (h: Record<string, string>) => Object.entries(h).map(([substrate, usd]) => [substrate, Number(usd)] as const);
    return spendTotalsOf(at, pairs(day), pairs(month));
  }

  async cancel(jobId: string): Promise<'cancelled' | 'not_found' | 'finished'> {
    const [outcome, field, item] = await this.run('cancel', [this.keys.jobPrefix, jobId, this.resultTtlMs]) as
      ['cancelled' | 'not_found' | 'finished', string?, string?];
    if (outcome === 'cancelled') await this.deliver(field!, parseOutboxValue(`[${item!}]`));
    return outcome;
  }

  /**
   * Jobs from the original's list that have a job_id but fail validation:
   * they become failed jobs right away, their result naming the error.
   * Used by the ingress; idempotent by job_id like enqueue.
   */
  async recordRejected(items: { jobId: string; error: ErrorBody }[]): Promise<void> {
    if (items.length === 0) return;
    const now = new Date().toISOString();
    const args: (string | number)[] = [this.keys.jobPrefix, this.resultTtlMs];
    const outbox: OutboxItem[] = items.map(({ jobId, error }) => {
      const record: ResultRecord = {
        job_id: jobId, status: 'failed', success: false, substrate: null, result: null,
        exec_time_ms: 0, queue_time_ms: 0, bytes_processed: 0, cost_usd: 0, attempts: 0,
        error, completed_at: now,
      };
      const meta: ViewMeta = { p: 0, c: now, s: null };
      const out = { id: jobId, record: JSON.stringify(record), metric: JSON.stringify(metricOf(record)) };
      args.push(jobId, JSON.stringify(meta), outboxItemJson(out));
      return out;
    });
    const [field, flat] = await this.run('recordRejected', args) as [string, (number | string)[]];
    if (field !== '') await this.deliver(field, outbox.filter((_, i) => flat[2 * i] === 1));
  }

  async get(jobId: string): Promise<JobView | null> {
    const [view] = await this.views([jobId]);
    return view ?? null;
  }

  async getResult(jobId: string): Promise<ResultRecord | null> {
    const [result] = await this.guard(() => this.readResults([jobId]));
    return result ?? null;
  }

  async waitForResult(jobId: string, timeoutMs: number): Promise<ResultRecord | null> {
    if (this.closed || !(timeoutMs > 0)) return this.getResult(jobId);
    return this.guard(() => this.waiters.wait(jobId, timeoutMs));
  }

  async list(query: ListQuery): Promise<ListPage> {
    const limit = query.limit;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new PacketFSError('INVALID_REQUEST', `limit must be a positive integer, got ${String(limit)}`, { path: 'limit' });
    }
    const index = this.keys.index[query.status];
    if (index === undefined) {
      throw new PacketFSError('INVALID_REQUEST', `unknown status '${String(query.status)}'`, { path: 'status' });
    }
    let before = '+inf';
    if (query.cursor !== undefined) {
      const m = CURSOR.exec(query.cursor);
      if (m === null) throw new PacketFSError('INVALID_REQUEST', 'cursor is not one this server issued', { path: 'cursor' });
      before = m[1]!;
    }
    const holds = query.status === 'queued' || query.status === 'running' ? 'queued,running' : query.status;
    const [flat, lastScanned, exhausted] = await this.run('list',
      [this.keys.jobPrefix, query.status, before, limit, holds, LIST_SCAN_MAX], [index]) as [string[], string, number];
    const ids: string[] = [];
    for (let i = 0; i < flat.length && ids.length < limit; i += 2) ids.push(flat[i]!);
    // a full page and one more match: more follow; no more matches but the
    // scan stopped at its cap: maybe more follow, from where it stopped
    let next: string | null = null;
    if (flat.length / 2 > limit) next = `s${flat[2 * limit - 1]}`;
    else if (exhausted === 0 && lastScanned !== '') next = `s${lastScanned}`;
    const jobs = (await this.views(ids)).filter((v): v is JobView => v !== null);
    return { jobs, next_cursor: next };
  }

  async recentMetrics(limit: number): Promise<MetricRecord[]> {
    if (!(limit >= 1)) return [];
    const raw = await this.guard(() => this.redis.lrange(this.keys.metrics, 0, Math.floor(limit) - 1));
    // the list is shared with the original dispatcher and anyone with Redis access: skip what is not a record
    return raw.flatMap((m) => {
      try {
        const record: unknown = JSON.parse(m);
        return typeof record === 'object' && record !== null && !Array.isArray(record) ? [record as MetricRecord] : [];
      } catch {
        return [];
      }
    });
  }

  async depth(): Promise<QueueDepth> {
    const [queued, delayed, running] = await this.run('depth', [], [this.keys.ready, this.keys.delayed, this.keys.leases]) as number[];
    return { queued: queued!, delayed: delayed!, running: running! };
  }

  async ready(): Promise<boolean> {
    if (this.closed || this.redis.status !== 'ready') return false;
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
    this.waiters.close();
    await this.ingress?.stop();
    await this.maintenanceRun;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /** Runs one of the queue scripts (the 11 queue keys unless `keys` is given), errors as PacketFSErrors. */
  private run(name: keyof ReturnType<typeof scripts>, args: (string | number)[], keys: readonly string[] = this.keys.queue): Promise<unknown> {
    return this.guard(() => scripts()[name].run(this.redis, keys, args));
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new PacketFSError('STORE_UNAVAILABLE', 'job store is closed');
    try {
      return await fn();
    } catch (err) {
      throw storeError(err);
    }
  }

  /**
   * Copies a decided batch of results to the original's keys. A failure here
   * does not fail the caller: the decision is stored and the outbox entry is
   * delivered by maintenance once Redis answers again.
   */
  private async deliver(field: string, items: OutboxItem[]): Promise<void> {
    try {
      await deliverOutbox(this.redis, this.keys, field, items, { resultTtlMs: this.resultTtlMs, metricsLimit: this.metricsLimit });
    } catch (err) {
      this.logger.warn({ store: 'redis', err: (err as Error).message, jobs: items.length }, 'result delivery deferred to outbox recovery');
    }
  }

  private async readResults(ids: string[]): Promise<(ResultRecord | null)[]> {
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.get(this.keys.result(id));
    const replies = await pipe.exec();
    return (replies ?? []).map(([err, value], i) => {
      if (err) throw err;
      return typeof value === 'string' ? readStoredResult(value, ids[i]!) : null;
    });
  }

  /** Views of the given jobs in one round trip; null for unknown ones. */
  private async views(ids: string[]): Promise<(JobView | null)[]> {
    if (ids.length === 0) return [];
    const replies = await this.guard(async () => {
      const pipe = this.redis.pipeline();
      for (const id of ids) {
        pipe.hmget(this.keys.jobPrefix + id, 'st', 'att', 'meta', 'errs', 'wait');
        pipe.get(this.keys.result(id));
      }
      return (await pipe.exec()) ?? [];
    });
    return ids.map((id, i) => {
      const [hashErr, fields] = replies[2 * i]!;
      const [resultErr, result] = replies[2 * i + 1]!;
      if (hashErr || resultErr) throw storeError(hashErr ?? resultErr);
      const [st, att, meta, errs, wait] = fields as (string | null)[];
      if (st === null || st === undefined || !meta) {
        // no job of ours, but a result: the original dispatcher ran it
        return typeof result === 'string' ? viewOfRecord(readStoredResult(result, id)) : null;
      }
      const m = JSON.parse(meta) as ViewMeta;
      const status = st as JobStatus;
      const waiting = status === 'queued' ? waitingReason(wait, att) : undefined;
      return {
        job_id: id,
        status,
        ...(waiting === undefined ? {} : { waiting }),
        attempts: Number(att),
        priority: m.p,
        created_at: m.c,
        substrates: m.s,
        errors: errs ? JSON.parse(errs) : [],
        result: TERMINAL_STATUSES.includes(status) && typeof result === 'string' ? readStoredResult(result, id) : null,
      };
    });
  }

  /**
   * Background upkeep, one run at a time: delivers outbox entries abandoned
   * by a writer that died or lost Redis, and drops expired jobs from the
   * status indexes. Failures (Redis away) wait for the next period.
   */
  private maintain(): void {
    if (this.maintenanceRun !== null || this.closed) return;
    this.maintenanceRun = (async () => {
      try {
        const flat = await scripts().reclaimOutbox.run(this.redis, [this.keys.outbox], [this.outboxStaleMs, 100]) as string[];
        for (let i = 0; i < flat.length; i += 2) await this.deliver(flat[i]!, parseOutboxValue(flat[i + 1]!));
        // rounds until caught up: at full speed thousands of results expire every second
        for (let round = 0; round < 1000 && !this.closed; round++) {
          const swept = await scripts().sweepExpired.run(this.redis, this.keys.queue, [SWEEP_BATCH]) as number;
          if (swept < SWEEP_BATCH) break;
        }
      } catch {
        // Redis unreachable: the connection watcher has logged it; the next period retries
      } finally {
        this.maintenanceRun = null;
      }
    })();
  }
}

/** spend hashes outlive their period: a day's for 40 days, a month's for 400 */
const SPEND_DAY_KEEP_MS = 40 * 86_400_000;
const SPEND_MONTH_KEEP_MS = 400 * 86_400_000;

/** the `wait` field is "<attempts>|<reason>" (defer-10.lua); it counts only while the job has those attempts */
function waitingReason(wait: string | null | undefined, att: string | null | undefined): string | undefined {
  if (typeof wait !== 'string') return undefined;
  const bar = wait.indexOf('|');
  return bar > 0 && wait.slice(0, bar) === att ? wait.slice(bar + 1) : undefined;
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new PacketFSError('INVALID_REQUEST', `${name} must be a positive integer, got ${v}`, { path: name });
  return v;
}

function nonNegativeInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0) throw new PacketFSError('INVALID_REQUEST', `${name} must be a non-negative integer, got ${v}`, { path: name });
  return v;
}
