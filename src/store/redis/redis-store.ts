import { RedisProgressShelf } from './redis-progress-shelf.js';
import type { Cluster, Redis } from 'ioredis';
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
import { openRedis, openRedisCluster, storeError, watchConnection, type ConnectionOptions, type RedisClient } from './redis-connection.js';
import { redisKeys, type RedisKeys } from './redis-keys.js';
import { deliverOutbox, outboxItemJson, parseOutboxValue, type OutboxField, type OutboxItem } from './result-outbox.js';
import { ResultWaiters } from './result-waiters.js';
import { readStoredResult, viewOfRecord } from './stored-result.js';
import { leasedHead, parseJobState, stateTail } from './job-state.js';
import { decodeSpecs, encodeSpec } from './spec-codec.js';
import { checkPersistence, type PersistenceReport } from './persistence-check.js';
import { MAX_SHARDS, shardOf, shardTags } from './queue-shards.js';
import { waitForReplicas } from './replication.js';

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
 *   state     HASH id -> packed state (job-state.ts): status, attempts, seq…
 *   specs     HASH id -> JobSpec JSON (spec-codec.ts) while the job is unfinished
 *   errs      HASH id -> attempt errors, for jobs that have some
 *   finished  LIST finished jobs, oldest first: expiry and retention bounds
 *             (maxResults, maxResultBytes) prune from its head
 *   idx:*     ZSET per terminal status, and one for queued + running jobs,
 *             score = enqueue seq, for list()
 *   outbox    HASH results on their way to the original's keys
 * Every batch operation is one Lua script call (EVALSHA), so one round trip
 * carries a whole batch, and inside it each structure is read and written
 * with one command per batch, not one per job. A lease token is "<seq>.<attempt>": taking the job
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
 * Redis Cluster (connectCluster): the queue is split into `shards` sets of
 * these keys, each under its own hash tag (queue-shards.ts), a job living in
 * the shard its id hashes to; every call touching several jobs runs one
 * script per shard involved, in parallel, and take() draws from every shard.
 * Results go through the outbox, and with waitReplicas an acknowledgement
 * (enqueue, a delivered result) waits until the write reached that many
 * replicas (replication.ts).
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
  /** period of outbox recovery, expiry and retention pruning; default 5 s */
  maintenanceMs?: number;
  /** fallback poll period of waitForResult; default 1 s */
  resultPollMs?: number;
  /** hash-tagged shards the queue is split into (Redis Cluster: spread over the masters); default 1, 3 with connectCluster */
  shards?: number;
  /** replicas a write must reach before it is acknowledged (WAIT); default 0, 1 with connectCluster */
  waitReplicas?: number;
  /** how long WAIT waits for them; default 2 s */
  waitTimeoutMs?: number;
  logger?: Logger;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** default retention bounds: ~6 GB of Redis memory at ~600 bytes per finished job, and 4 GiB of result JSON */
export const REDIS_DEFAULT_MAX_RESULTS = 10_000_000;
export const REDIS_DEFAULT_MAX_RESULT_BYTES = 4 * 1024 ** 3;
/** most expired leases / due delayed jobs one take() handles, besides what it leases */
const TAKE_SWEEP_MAX = 1000;
const SWEEP_BATCH = 5000;
/** most index members one list() call examines, so a page of a rare status cannot keep Redis busy long */
const LIST_SCAN_MAX = 10_000;
const CURSOR = /^s(\d{1,16})$/;

interface Shard {
  index: number;
  keys: RedisKeys;
}

export class RedisJobStore implements JobStore {
  readonly kind = 'redis';
  readonly snapshots: RedisSnapshotBoard;
  readonly progress: RedisProgressShelf;

  /** the queue's keys: shard 0's queue keys, and the original's keys, done channel and dashboard keys shared by all shards */
  private readonly keys: RedisKeys;
  private readonly shards: Shard[];
  private readonly resultTtlMs: number;
  private readonly metricsLimit: number;
  private readonly maxResults: number;
  private readonly maxResultBytes: number;
  private readonly outboxStaleMs: number;
  private readonly outbox: boolean;
  private readonly waitReplicas: number;
  private readonly waitTimeoutMs: number;
  private readonly logger: Logger;
  private readonly waiters: ResultWaiters;
  private readonly ingress: LegacyIngress | null;
  private maintenanceTimer: NodeJS.Timeout | null = null;
  private maintenanceRun: Promise<void> | null = null;
  private persistence: PersistenceReport | null = null;
  /** masters seen with fewer replicas than waitReplicas (each logged once per process) */
  private readonly degraded = new Set<string>();
  private readonly onDegraded = (node: string, connected: number) => {
    if (this.degraded.has(node)) return;
    this.degraded.add(node);
    this.logger.warn({ store: 'redis', node, replicas: connected, wanted: this.waitReplicas },
      'a Redis master has fewer replicas than --redis-wait-replicas: its writes are acknowledged without them until a replica attaches');
  };
  private closed = false;

  static async connect(url: string, opts: RedisStoreOptions = {}): Promise<RedisJobStore> {
    return RedisJobStore.open(await openRedis(url, opts, opts.logger ?? silentLogger), opts);
  }

  /**
   * The store on a Redis Cluster (seed nodes "host:port"): results through
   * the outbox (their keys are in other slots), the queue in `shards`
   * shards (default 3), acknowledgements after 1 replica has the write
   * (waitReplicas; 0 for a cluster without replicas).
   */
  static async connectCluster(nodes: string[], opts: RedisStoreOptions = {}): Promise<RedisJobStore> {
    const cluster = await openRedisCluster(nodes, opts, opts.logger ?? silentLogger);
    return RedisJobStore.open(cluster, { shards: 3, waitReplicas: 1, ...opts, outbox: true });
  }

  private static async open(redis: RedisClient, opts: RedisStoreOptions): Promise<RedisJobStore> {
    let store: RedisJobStore;
    try {
      store = new RedisJobStore(redis, opts);
    } catch (err) {
      redis.disconnect();
      throw err;
    }
    await store.checkPersistence();
    return store;
  }

  private constructor(private readonly redis: RedisClient, opts: RedisStoreOptions) {
    const prefix = opts.prefix ?? 'packetfs';
    const queueName = opts.queueName ?? 'default';
    const shardCount = opts.shards ?? 1;
    if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > MAX_SHARDS) {
      throw new PacketFSError('INVALID_REQUEST', `shards must be an integer 1..${MAX_SHARDS}, got ${shardCount}`, { path: 'redis_shards' });
    }
    this.shards = shardTags(queueName, shardCount).map((tag, index) => ({ index, keys: redisKeys(prefix, queueName, tag) }));
    this.keys = this.shards[0]!.keys;
    this.snapshots = new RedisSnapshotBoard(redis, { index: this.keys.snapshotIndex, snapshot: this.keys.snapshot });
    this.resultTtlMs = positiveInt(opts.resultTtlMs ?? DAY_MS, 'resultTtlMs');
    this.progress = new RedisProgressShelf(redis, this.keys.progress, this.resultTtlMs);
    this.metricsLimit = nonNegativeInt(opts.metricsLimit ?? 10_000, 'metricsLimit');
    this.maxResults = nonNegativeInt(opts.maxResults ?? REDIS_DEFAULT_MAX_RESULTS, 'maxResults');
    this.maxResultBytes = nonNegativeInt(opts.maxResultBytes ?? REDIS_DEFAULT_MAX_RESULT_BYTES, 'maxResultBytes');
    this.outboxStaleMs = nonNegativeInt(opts.outboxStaleMs ?? 10_000, 'outboxStaleMs');
    this.outbox = opts.outbox ?? false;
    this.waitReplicas = nonNegativeInt(opts.waitReplicas ?? 0, 'waitReplicas');
    this.waitTimeoutMs = positiveInt(opts.waitTimeoutMs ?? 2000, 'waitTimeoutMs');
    this.logger = opts.logger ?? silentLogger;
    this.waiters = new ResultWaiters({
      openSubscriber: () => {
        // a subscriber may queue its SUBSCRIBE until connected: it is re-sent after every reconnection anyway
        const sub = redis.isCluster
          ? (redis as Cluster).duplicate(undefined, { enableOfflineQueue: true, lazyConnect: false })
          : (redis as Redis).duplicate({ lazyConnect: false, enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
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
    // one shard: the script numbers the jobs itself; several: one range for the batch, so list() order is global
    const base = this.shards.length === 1 ? null : await this.guard(() => this.redis.incrby(this.keys.queue[7]!, jobs.length)) - jobs.length;
    const replies = await this.perShard(jobs, (job) => job.job_id, async (shard, part) => {
      const args: (string | number)[] = [base === null ? '0' : '1'];
      for (const { item: job, at } of part) {
        args.push(job.job_id, encodeSpec(job), stateTail(job));
        if (base !== null) args.push(base + at + 1);
      }
      const [created, others] = await this.run(shard, 'enqueue', args) as [string, (number | string)[]];
      await this.replicated(shard);
      const outcomes = part.map((_, i) => ({ created: created.charCodeAt(i) === 49 /* '1' */, status: 'queued' as JobStatus }));
      for (let k = 0; k < others.length; k += 2) outcomes[(others[k] as number) - 1]!.status = others[k + 1] as JobStatus;
      return outcomes;
    });
    return jobs.map((job, i) => ({ job_id: job.job_id, ...replies[i]! }));
  }

  async take(max: number, leaseMs: number): Promise<Lease[]> {
    const want = max >= 1 ? Math.floor(max) : 0;
    const lease = Math.max(0, Math.round(leaseMs));
    if (this.shards.length === 1) return this.takeFrom(this.shards[0]!, want, lease);
    // Sharded: look at what every shard would hand out next, pick the best `want` across them (priority, then
    // the queue-wide enqueue seq; due retries and expired leases first), and take exactly that many from each.
    // Every shard is served in the order its jobs came, and priorities hold across shards.
    const peeks = await Promise.all(this.shards.map((shard) =>
      this.run(shard, 'peek', [want], [shard.keys.ready, shard.keys.delayed, shard.keys.leases]) as Promise<[string[], number]>));
    const share = new Array<number>(this.shards.length).fill(0);
    let left = want;
    peeks.forEach(([, due], i) => { const k = Math.min(left, due); share[i] = k; left -= k; });
    const heads: { shard: number; score: number; member: string }[] = [];
    peeks.forEach(([flat], i) => { for (let j = 0; j < flat.length; j += 2) heads.push({ shard: i, member: flat[j]!, score: Number(flat[j + 1]) }); });
    heads.sort((a, b) => a.score - b.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
    for (let j = 0; j < heads.length && left > 0; j++, left--) share[heads[j]!.shard]!++;
    // every shard runs take, also with nothing to lease: it is what reclaims expired leases and promotes due retries
    const leases = (await Promise.all(this.shards.map((shard, i) => this.takeFrom(shard, share[i]!, lease)))).flat();
    leases.sort((a, b) => b.job.priority - a.job.priority || seqOf(a) - seqOf(b));
    return leases;
  }

  private async takeFrom(shard: Shard, want: number, leaseMs: number): Promise<Lease[]> {
    const [field, expired, specsJson, states, errs] = await this.run(shard, 'take', [want, leaseMs, this.resultTtlMs, TAKE_SWEEP_MAX]) as
      [string, string, string[], string[], string[]];
    if (field !== '') await this.deliver([{ outbox: shard.keys.outbox, field }], parseOutboxValue(expired));
    // one parse per batch, not per spec
    const specs = decodeSpecs(specsJson);
    const leases: Lease[] = new Array(specs.length);
    for (let j = 0; j < specs.length; j++) {
      const [attempt, seq, enqueuedAt] = leasedHead(states[2 * j + 1]!);
      leases[j] = { job: specs[j]!, attempt, token: `${seq}.${attempt}`, enqueuedAt, errors: [] };
    }
    for (let i = 0; i < errs.length; i += 2) leases[Number(errs[i]) - 1]!.errors = JSON.parse(errs[i + 1]!) as Lease['errors'];
    return leases;
  }

  async extendLeases(leases: Lease[], leaseMs: number): Promise<boolean[]> {
    if (leases.length === 0) return [];
    return this.perShard(leases, (lease) => lease.job.job_id, async (shard, part) => {
      const args: (string | number)[] = [Math.max(0, Math.round(leaseMs))];
      for (const { item } of part) args.push(item.job.job_id, item.token);
      const flags = await this.run(shard, 'extendLeases', args, [shard.keys.leases, shard.keys.state]) as number[];
      return flags.map((f) => f === 1);
    });
  }

  async complete(items: Completion[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    const records: OutboxItem[] = items.map((item) => {
      const status = item.result.status;
      if (status !== 'succeeded' && status !== 'failed') {
        throw new PacketFSError('INTERNAL', `complete() takes succeeded or failed results, got '${status}' for ${item.lease.job.job_id}`);
      }
      return { id: item.lease.job.job_id, record: JSON.stringify(item.result), metric: JSON.stringify(item.metric) };
    });
    const fields: OutboxField[] = [];
    const flags = await this.perShard(items, (item) => item.lease.job.job_id, async (shard, part) => {
      const args: (string | number)[] = [this.resultTtlMs, this.outbox ? '' : this.keys.result(''),
        this.keys.metrics, this.metricsLimit, this.keys.done];
      for (const { item, at } of part) args.push(records[at]!.id, item.lease.token, item.result.status, records[at]!.record, records[at]!.metric);
      const [field, won] = await this.run(shard, 'complete', args) as [string, string];
      if (field !== '') fields.push({ outbox: shard.keys.outbox, field });
      return part.map((_, i) => won.charCodeAt(i) === 49 /* '1' */);
    });
    // one delivery for every shard's winners, in input order: the metrics list keeps the order results came in
    if (fields.length > 0) await this.deliver(fields, records.filter((_, i) => flags[i]));
    return flags;
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
    const written = await this.guard(() => Promise.all(items.map(async (item, i) => {
      const old = stored[i];
      if (old === null || old === undefined || old.status !== 'succeeded') return false;
      const [ok, position] = await Promise.all([
        this.redis.set(this.keys.result(item.result.job_id), JSON.stringify(item.result), 'KEEPTTL', 'XX'),
        this.redis.lpos(this.keys.metrics, JSON.stringify(metricOf(old))),
      ]);
      if (ok !== 'OK') return false;
      // A metric trimmed or moved meanwhile is simply not replaced: the result record is what counts.
      if (typeof position === 'number') await this.redis.lset(this.keys.metrics, position, JSON.stringify(item.metric)).catch(() => undefined);
      return true;
    })));
    // Announced like a first result, so waiters in other processes (and anything following the channel) see the new record.
    const amended = items.filter((_, i) => written[i]).map((item) => item.result.job_id);
    if (amended.length > 0) await this.redis.publish(this.keys.done, JSON.stringify(amended)).catch(() => undefined);
    return written;
  }

  async retryLater(items: Retry[]): Promise<void> {
    if (items.length === 0) return;
    await this.perShard(items, (item) => item.lease.job.job_id, async (shard, part) => {
      const args: (string | number)[] = [];
      for (const { item } of part) {
        args.push(item.lease.job.job_id, item.lease.token, Math.max(0, Math.round(item.delayMs)), JSON.stringify(item.error));
      }
      await this.run(shard, 'retryLater', args);
      return part.map(() => undefined);
    });
  }

  async defer(items: Deferral[]): Promise<void> {
    if (items.length === 0) return;
    await this.perShard(items, (item) => item.lease.job.job_id, async (shard, part) => {
      const args: (string | number)[] = [];
      for (const { item } of part) args.push(item.lease.job.job_id, item.lease.token, Math.max(0, Math.round(item.delayMs)), item.reason);
      await this.run(shard, 'defer', args);
      return part.map(() => undefined);
    });
  }

  /** HINCRBYFLOAT per (period, substrate): atomic across dispatchers; period hashes expire long after their period. */
  async addSpend(items: SpendItem[]): Promise<void> {
    const increments = spendIncrements(items);
    if (increments.size === 0) return;
    await this.guard(() => Promise.all([...increments].flatMap(([period, bySubstrate]) => {
      const key = this.keys.spend(period);
      return [
        ...[...bySubstrate].map(([substrate, usd]) => this.redis.hincrbyfloat(key, substrate, usd)),
        this.redis.pexpire(key, period.startsWith('d:') ? SPEND_DAY_KEEP_MS : SPEND_MONTH_KEEP_MS),
      ];
    })));
  }

  async spendTotals(at: number): Promise<SpendTotals> {
    const keys = spendKeys(at);
    const [day, month] = await this.guard(() => Promise.all([this.redis.hgetall(this.keys.spend(keys.day)), this.redis.hgetall(this.keys.spend(keys.month))]));
    const pairs = (h: Record<string, string>) => Object.entries(h).map(([substrate, usd]) => [substrate, Number(usd)] as const);
    return spendTotalsOf(at, pairs(day), pairs(month));
  }

  async cancel(jobId: string): Promise<'cancelled' | 'not_found' | 'finished'> {
    const shard = this.shardFor(jobId);
    const [outcome, field, item] = await this.run(shard, 'cancel', [jobId, this.resultTtlMs]) as
      ['cancelled' | 'not_found' | 'finished', string?, string?];
    if (outcome === 'cancelled') await this.deliver([{ outbox: shard.keys.outbox, field: field! }], parseOutboxValue(`[${item!}]`));
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
    const base = this.shards.length === 1 ? null : await this.guard(() => this.redis.incrby(this.keys.queue[7]!, items.length)) - items.length;
    await this.perShard(items, (item) => item.jobId, async (shard, part) => {
      const args: (string | number)[] = [this.resultTtlMs, now];
      const outbox: OutboxItem[] = part.map(({ item: { jobId, error }, at }) => {
        const record: ResultRecord = {
          job_id: jobId, status: 'failed', success: false, substrate: null, result: null,
          exec_time_ms: 0, queue_time_ms: 0, bytes_processed: 0, cost_usd: 0, attempts: 0,
          error, completed_at: now,
        };
        const out = { id: jobId, record: JSON.stringify(record), metric: JSON.stringify(metricOf(record)) };
        args.push(jobId, outboxItemJson(out), base === null ? '' : base + at + 1);
        return out;
      });
      const [field, flat] = await this.run(shard, 'recordRejected', args) as [string, (number | string)[]];
      if (field !== '') await this.deliver([{ outbox: shard.keys.outbox, field }], outbox.filter((_, i) => flat[2 * i] === 1));
      return part.map(() => undefined);
    });
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

  /**
   * One page, newest first by enqueue seq. With several shards each shard's
   * page is read and the pages merged (seqs are numbered for the whole queue,
   * see enqueue). A shard whose scan stopped at its cap before finding a full
   * page cuts the merged page at the seq where it stopped, so nothing is
   * skipped or shown twice across pages.
   */
  async list(query: ListQuery): Promise<ListPage> {
    const limit = query.limit;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new PacketFSError('INVALID_REQUEST', `limit must be a positive integer, got ${String(limit)}`, { path: 'limit' });
    }
    if (this.keys.index[query.status] === undefined) {
      throw new PacketFSError('INVALID_REQUEST', `unknown status '${String(query.status)}'`, { path: 'status' });
    }
    let before = '+inf';
    if (query.cursor !== undefined) {
      const m = CURSOR.exec(query.cursor);
      if (m === null) throw new PacketFSError('INVALID_REQUEST', 'cursor is not one this server issued', { path: 'cursor' });
      before = m[1]!;
    }
    const holds = query.status === 'queued' || query.status === 'running' ? 'queued,running' : query.status;
    const pages = await Promise.all(this.shards.map((shard) => this.run(shard, 'list',
      [query.status, before, limit, holds, LIST_SCAN_MAX], [shard.keys.index[query.status], shard.keys.state]) as Promise<[string[], string, number]>));
    let matches: { id: string; seq: number }[] = [];
    let cut = -Infinity;
    for (const [flat, lastScanned, exhausted] of pages) {
      for (let i = 0; i < flat.length; i += 2) matches.push({ id: flat[i]!, seq: Number(flat[i + 1]) });
      // no more than a page of matches, yet the scan stopped at its cap: more may follow below where it stopped
      if (flat.length / 2 <= limit && exhausted === 0 && lastScanned !== '') cut = Math.max(cut, Number(lastScanned));
    }
    matches.sort((a, b) => b.seq - a.seq);
    let next: string | null = null;
    if (cut > -Infinity) {
      matches = matches.filter((m) => m.seq >= cut);
      if (matches.length <= limit) next = `s${cut}`;
    }
    if (matches.length > limit) next = `s${matches[limit - 1]!.seq}`;
    const jobs = (await this.views(matches.slice(0, limit).map((m) => m.id))).filter((v): v is JobView => v !== null);
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
    const counts = await Promise.all(this.shards.map((shard) =>
      this.run(shard, 'depth', [], [shard.keys.ready, shard.keys.delayed, shard.keys.leases]) as Promise<number[]>));
    const sum = (k: number) => counts.reduce((total, c) => total + c[k]!, 0);
    return { queued: sum(0), delayed: sum(1), running: sum(2) };
  }

  /** What Redis's persistence settings mean for acknowledged jobs, as last read (on connect and every maintenance period). */
  persistenceReport(): PersistenceReport | null {
    return this.persistence;
  }

  durabilityWarning(): string | null {
    return this.persistence?.warning ?? null;
  }

  /** Reads Redis's persistence settings; warns in the log when they change to (or start as) not durable. */
  private async checkPersistence(): Promise<void> {
    let report: PersistenceReport;
    try {
      report = await checkPersistence(this.redis);
    } catch {
      return; // Redis away: the next maintenance period reads them again
    }
    const before = this.persistence;
    this.persistence = report;
    if (before?.settings === report.settings) return;
    if (report.warning !== null) this.logger.warn({ store: 'redis', persistence: report.settings }, report.warning);
    else if (before !== null) this.logger.info({ store: 'redis', persistence: report.settings }, 'Redis persistence is now durable');
  }

  async ready(): Promise<boolean> {
    if (this.closed || this.redis.status !== 'ready') return false;
    try {
      if (!this.redis.isCluster) return (await this.redis.ping()) === 'PONG';
      // a cluster is ready when every shard's master answers
      await Promise.all(this.shards.map((shard) => this.redis.exists(shard.keys.queue[7]!)));
      return true;
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

  private shardFor(jobId: string): Shard {
    return this.shards[shardOf(jobId, this.shards.length)]!;
  }

  /**
   * Splits `items` by the shard of their job, runs `fn` once per shard
   * involved (in parallel) and puts the answers back in input order. `at` is
   * an item's position in `items`.
   */
  private async perShard<T, R>(items: T[], idOf: (item: T) => string, fn: (shard: Shard, part: { item: T; at: number }[]) => Promise<R[]>): Promise<R[]> {
    if (this.shards.length === 1) return fn(this.shards[0]!, items.map((item, at) => ({ item, at })));
    const parts = new Map<Shard, { item: T; at: number }[]>();
    items.forEach((item, at) => {
      const shard = this.shardFor(idOf(item));
      const part = parts.get(shard);
      if (part === undefined) parts.set(shard, [{ item, at }]);
      else part.push({ item, at });
    });
    const out: R[] = new Array(items.length);
    await Promise.all([...parts].map(async ([shard, part]) => {
      const answers = await fn(shard, part);
      part.forEach(({ at }, i) => { out[at] = answers[i]!; });
    }));
    return out;
  }

  /** Runs one of the queue scripts on a shard (its 15 queue keys unless `keys` is given), errors as PacketFSErrors. */
  private run(shard: Shard, name: keyof ReturnType<typeof scripts>, args: (string | number)[], keys: readonly string[] = shard.keys.queue): Promise<unknown> {
    return this.guard(() => scripts()[name].run(this.redis, keys, args));
  }

  /** With waitReplicas: returns once the shard's writes so far reached that many replicas (replication.ts). */
  private replicated(shard: Shard): Promise<void> {
    if (this.waitReplicas === 0) return Promise.resolve();
    return this.guard(() => waitForReplicas(this.redis, [shard.keys.queue[0]!], this.waitReplicas, this.waitTimeoutMs, this.onDegraded));
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
  private async deliver(fields: OutboxField[], items: OutboxItem[]): Promise<void> {
    try {
      await deliverOutbox(this.redis, this.keys, fields, items, {
        resultTtlMs: this.resultTtlMs, metricsLimit: this.metricsLimit, replicas: this.waitReplicas, waitTimeoutMs: this.waitTimeoutMs,
        onDegraded: this.onDegraded,
      });
    } catch (err) {
      this.logger.warn({ store: 'redis', err: (err as Error).message, jobs: items.length }, 'result delivery deferred to outbox recovery');
    }
  }

  /** Result records of the given jobs (single-key reads sent together: on a Cluster the keys are in many slots). */
  private async readResults(ids: string[]): Promise<(ResultRecord | null)[]> {
    const values = await Promise.all(ids.map((id) => this.redis.get(this.keys.result(id))));
    return values.map((value, i) => (typeof value === 'string' ? readStoredResult(value, ids[i]!) : null));
  }

  /** Views of the given jobs in one round trip per node; null for unknown ones. */
  private async views(ids: string[]): Promise<(JobView | null)[]> {
    if (ids.length === 0) return [];
    const [states, results] = await this.guard(() => Promise.all([
      this.perShard(ids, (id) => id, async (shard, part) => {
        const names = part.map(({ item }) => item);
        const [st, er, wt] = await Promise.all([this.redis.hmget(shard.keys.state, ...names), this.redis.hmget(shard.keys.errs, ...names),
          this.redis.hmget(shard.keys.waits, ...names)]);
        return names.map((_, i) => ({ state: st[i] ?? null, errs: er[i] ?? null, wait: wt[i] ?? null }));
      }),
      Promise.all(ids.map((id) => this.redis.get(this.keys.result(id)))),
    ]));
    const now = Date.now();
    return ids.map((id, i) => {
      const { state: raw, errs: errors, wait } = states[i]!;
      const result = results[i];
      const state = typeof raw === 'string' ? parseJobState(raw) : null;
      // A finished job whose result key is gone has expired or was pruned: unknown, as once it is
      // swept. Before its expiry the key may simply not be written yet — the outbox delivers it
      // just after the script that decided the outcome — so the job is shown, without a result.
      const finished = state !== null && TERMINAL_STATUSES.includes(state.status);
      const delivering = finished && typeof result !== 'string' && state.expiresAtMs !== null && state.expiresAtMs > now;
      if (state === null || (finished && typeof result !== 'string' && !delivering)) {
        // no job of ours, but a result: the original dispatcher ran it
        return state === null && typeof result === 'string' ? viewOfRecord(readStoredResult(result, id)) : null;
      }
      const waiting = state.status === 'queued' ? waitingReason(wait, state.attempts) : undefined;
      return {
        job_id: id,
        status: state.status,
        ...(waiting === undefined ? {} : { waiting }),
        attempts: state.attempts,
        priority: state.priority,
        created_at: state.createdAt,
        substrates: state.substrates,
        errors: errors ? JSON.parse(errors) : [],
        result: finished && typeof result === 'string' ? readStoredResult(result, id) : null,
      };
    });
  }

  /**
   * Forgets finished jobs whose results expired or that are beyond
   * maxResults / maxResultBytes (per shard), oldest first, in batches, until
   * caught up (at full speed thousands of results expire every second). Runs
   * in the background every maintenanceMs; returns how many jobs were forgotten.
   */
  async pruneNow(): Promise<number> {
    return this.guard(() => this.prune());
  }

  /** Finished jobs whose results are retained, and the bytes of their records (what the retention bounds count). */
  async retained(): Promise<{ results: number; bytes: number }> {
    const per = await this.guard(() => Promise.all(this.shards.map((shard) =>
      Promise.all([this.redis.llen(shard.keys.finished), this.redis.get(shard.keys.resultBytes)]))));
    return { results: per.reduce((n, [r]) => n + r, 0), bytes: per.reduce((n, [, b]) => n + Number(b ?? 0), 0) };
  }

  private async prune(): Promise<number> {
    // the bounds are split evenly over the shards (job ids spread evenly over them)
    const n = this.shards.length;
    const counts = await Promise.all(this.shards.map(async (shard) => {
      let total = 0;
      for (let round = 0; round < 1000 && !this.closed; round++) {
        const [swept, pruned] = await scripts().sweepExpired.run(this.redis, shard.keys.queue,
          [SWEEP_BATCH, Math.ceil(this.maxResults / n), Math.ceil(this.maxResultBytes / n), this.outbox ? '' : this.keys.result('')]) as [number, string[]];
        // outbox mode (Cluster): result keys live in other slots, so pruned ones are deleted from here
        if (pruned.length > 0) await Promise.all(pruned.map((id) => this.redis.unlink(this.keys.result(id))));
        total += swept;
        if (swept < SWEEP_BATCH) break;
      }
      return total;
    }));
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Background upkeep, one run at a time: delivers outbox entries abandoned
   * by a writer that died or lost Redis, prunes finished jobs (pruneNow) and
   * re-reads the persistence settings. Failures (Redis away) wait for the next period.
   */
  private maintain(): void {
    if (this.maintenanceRun !== null || this.closed) return;
    this.maintenanceRun = (async () => {
      try {
        for (const shard of this.shards) {
          const flat = await scripts().reclaimOutbox.run(this.redis, [shard.keys.outbox], [this.outboxStaleMs, 100]) as string[];
          for (let i = 0; i < flat.length; i += 2) await this.deliver([{ outbox: shard.keys.outbox, field: flat[i]! }], parseOutboxValue(flat[i + 1]!));
        }
        await this.prune();
        await this.checkPersistence();
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

/** a waits entry is "<attempts>|<reason>" (defer-15.lua); it counts only while the job has those attempts */
function waitingReason(wait: string | null, attempts: number): string | undefined {
  if (wait === null) return undefined;
  const bar = wait.indexOf('|');
  return bar > 0 && wait.slice(0, bar) === String(attempts) ? wait.slice(bar + 1) : undefined;
}

/** The enqueue seq in a lease token ("<seq>.<attempt>"). */
function seqOf(lease: Lease): number {
  return Number(lease.token.slice(0, lease.token.indexOf('.')));
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new PacketFSError('INVALID_REQUEST', `${name} must be a positive integer, got ${v}`, { path: name });
  return v;
}

function nonNegativeInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0) throw new PacketFSError('INVALID_REQUEST', `${name} must be a non-negative integer, got ${v}`, { path: name });
  return v;
}
