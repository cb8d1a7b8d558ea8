import { join, resolve } from 'node:path';
import { PacketFSError } from '../errors.js';
import type { JobSpec, ResultRecord } from '../job/types.js';
import { normalizeJob, normalizeJobs } from '../job/index.js';
import type { JobStore, ListPage, StoreOptions } from '../store/job-store.js';
import { MemoryJobStore } from '../store/memory/memory-store.js';
import { SubstrateRegistry } from '../scheduler/registry.js';
import { DEFAULT_POLICY, policyByName } from '../scheduler/policies/index.js';
import { LocalSubstrate } from '../substrates/local/local-substrate.js';
import type { NodePool } from '../substrates/node-pool/node-pool.js';
import type { Substrate } from '../substrates/substrate.js';
import { BlobStore } from '../data/blob-store.js';
import { createLogger, type Logger } from '../logger.js';
import type { DispatcherApi, JobListQuery, JobStatusView, MetricsReport, SubmitOutcome, SubstrateAggregate, SubstrateView } from './api.js';
import { SplitCoordinator } from '../split/split-coordinator.js';
import { createSizeOf } from '../split/source-size.js';
import { listWithoutChildren } from '../split/list-without-children.js';
import { parentIdOf } from '../job/split-spec.js';
import type { SplitProgress } from '../split/split-progress.js';
import { DispatchLoop } from './dispatch-loop.js';
import type { DispatcherOptions } from './options.js';
import { Telemetry } from './telemetry.js';
import { LiveStats } from '../dashboard/live-stats.js';
import { LiveFeed } from '../dashboard/live-feed.js';
import { collectSnapshot } from '../dashboard/collect-snapshot.js';
import { dispatcherId } from '../dashboard/dispatcher-id.js';
import { NodeService } from './node-service.js';
import { QueueBounds } from './queue-bounds.js';
import { BudgetLedger } from '../budget/budget-ledger.js';
import { BudgetGate } from '../budget/budget-gate.js';
import { checkBudget } from '../budget/budget-config.js';
import { costsReport, type CostsReport } from '../budget/costs-report.js';
import { dryRun, type DryRunOutcome } from '../budget/dry-run.js';
import { BudgetMetrics } from '../budget/budget-metrics.js';
import { isNodeHosted } from '../substrates/spot/spot-substrate.js';

const MAX_WAIT_S = 3600;

/**
 * The in-process dispatcher: the SDK entry point and what `packetfs serve`
 * puts behind HTTP. It owns the store, the blob store, the substrate
 * registry and the dispatch loop, and closes them in reverse order.
 */
export class Dispatcher implements DispatcherApi {
  readonly blobs: BlobStore;
  readonly registry: SubstrateRegistry;
  readonly store: JobStore;
  /** the browser/volunteer node pool the server's /v1/nodes/ws feeds; absent with `nodes: false` */
  readonly nodes: NodePool | undefined;
  /** the dashboard's live numbers (GET /v1/dashboard, its stream, `packetfs top`) */
  readonly live: LiveFeed;
  /** admission, verification and the operator's node actions; absent with `nodes: false` */
  readonly nodeService: NodeService | undefined;
  /** runs split jobs (docs/split.md) */
  readonly split: SplitCoordinator;
  private readonly loop: DispatchLoop;
  private readonly bounds: QueueBounds;
  private readonly privateByDefault: boolean;
  private readonly allowUnverified: boolean;
  private readonly telemetry: Telemetry;
  private readonly logger: Logger;
  /** budgets and job cost caps (docs/costs.md) */
  readonly budget: BudgetGate;
  private readonly budgetMetrics: BudgetMetrics;
  private closing = false;
  private closed: Promise<void> | null = null;
  private readonly startedAt = new Date().toISOString();

  private constructor(parts: {
    blobs: BlobStore; registry: SubstrateRegistry; store: JobStore; loop: DispatchLoop; telemetry: Telemetry; logger: Logger;
    nodeService: NodeService | undefined; bounds: QueueBounds; privateByDefault: boolean; allowUnverified: boolean; split: SplitCoordinator;
    stats: LiveStats; feedIntervalMs: number | undefined; budget: BudgetGate;
  }) {
    this.budget = parts.budget;
    this.budgetMetrics = new BudgetMetrics(parts.budget.ledger);
    this.nodeService = parts.nodeService;
    this.nodes = parts.nodeService?.pool;
    this.split = parts.split;
    this.bounds = parts.bounds;
    this.privateByDefault = parts.privateByDefault;
    this.allowUnverified = parts.allowUnverified;
    const id = dispatcherId();
    this.live = new LiveFeed({
      id, logger: parts.logger,
      ...(parts.store.snapshots === undefined ? {} : { board: parts.store.snapshots }),
      ...(parts.feedIntervalMs === undefined ? {} : { intervalMs: parts.feedIntervalMs }),
      collect: () => collectSnapshot({
        id, startedAt: this.startedAt, stats: parts.stats, store: parts.store, splits: parts.split.progress,
        substrates: () => parts.registry.views(),
        budget: () => costsReport(parts.budget.ledger, Date.now()),
        nodes: () => this.nodes?.views() ?? [],
        ready: async () => (await this.ready()).ready,
        draining: () => this.closing,
      }),
    });
    this.blobs = parts.blobs;
    this.registry = parts.registry;
    this.store = parts.store;
    this.loop = parts.loop;
    this.telemetry = parts.telemetry;
    this.logger = parts.logger;
  }

  static async create(opts: DispatcherOptions = {}): Promise<Dispatcher> {
    const logger = opts.logger ?? createLogger('info');
    // a bad budget is a configuration error, reported before anything opens
    const budgetConfig = opts.budget === undefined ? undefined : checkBudget(opts.budget);
    const dataDir = resolve(opts.dataDir ?? '.data');
    const blobDir = join(dataDir, 'blobs');
    // the store first: a data dir that is locked or not writable is reported before anything starts
    const store = opts.store ?? await openStore(opts, dataDir, logger);
    let blobs: BlobStore;
    try {
      blobs = await BlobStore.open(blobDir, {
        ...(opts.maxBlobBytes === undefined ? {} : { maxBlobBytes: opts.maxBlobBytes }),
        ...(opts.fsync === undefined ? {} : { fsync: opts.fsync }),
        onFlushError: (err, blobId) => logger.error({ err, event: 'blob_flush_failed', blob_id: blobId }, 'a blob could not be flushed to disk and was dropped'),
      });
    } catch (err) {
      if (opts.store === undefined) await store.close();
      throw err;
    }
    const policy = policyByName(opts.policy ?? DEFAULT_POLICY, opts.valueOfTimeUsdPerHour === undefined ? {} : { valueOfTimeUsdPerS: opts.valueOfTimeUsdPerHour / 3600 });
    const registry = new SubstrateRegistry({
      policy,
      ...(opts.probeIntervalMs === undefined ? {} : { probeIntervalMs: opts.probeIntervalMs }),
      ...(opts.breaker === undefined ? {} : { breaker: opts.breaker }),
    });
    const substrates = [...(opts.substrates ?? [])];
    let local: Substrate | null = null;
    if (opts.local !== false) {
      local = new LocalSubstrate({
        blobDir,
        allowPrivate: opts.allowPrivateDataUrls ?? false,
        allowHosts: opts.allowHosts ?? [],
        ownOrigins: opts.publicOrigins ?? [],
        maxWindowBytes: opts.maxWindowBytes ?? 256 * 1024 * 1024,
        ...(opts.threads === undefined ? {} : { threads: opts.threads }),
      });
      substrates.unshift(local);
    }
    let wakeLoop = (): void => {};
    const nodeService = opts.nodes === false ? undefined : await NodeService.create({
      // The local threads check node results, also when an embedder registers them later.
      store, dataDir, arbiter: () => local ?? trustedLocal(registry), logger, onCapacity: () => wakeLoop(),
      requireCredential: opts.requireNodeCredential ?? opts.nodeToken !== undefined,
      allowUnverified: opts.allowUnverified ?? false,
      pool: {
        publicOrigins: opts.publicOrigins ?? [],
        ...(opts.nodeHeartbeatMs === undefined ? {} : { heartbeatMs: opts.nodeHeartbeatMs }),
        ...opts.nodePool,
      },
      ...(opts.redisUrl === undefined || opts.store !== undefined ? {} : { redisUrl: opts.redisUrl }),
      ...(opts.nodeToken === undefined ? {} : { nodeToken: opts.nodeToken }),
      ...(opts.joinSecret === undefined ? {} : { joinSecret: opts.joinSecret }),
      ...(opts.canaryRate === undefined ? {} : { canaryRate: opts.canaryRate }),
      ...(opts.reputation === undefined ? {} : { reputation: opts.reputation }),
    });
    if (nodeService !== undefined) substrates.push(...nodeService.substrates);
    // spot instances join the node pool: their substrate needs it (and join tokens) before it starts
    if (nodeService !== undefined) for (const s of substrates) if (isNodeHosted(s)) s.attachNodes(nodeService);
    for (const s of substrates) {
      await s.start?.();
      registry.add(s);
    }
    registry.start();
    const stats = new LiveStats();
    const telemetry = new Telemetry((r) => stats.record(r));
    const split = new SplitCoordinator({
      store, logger,
      substrates: () => registry.views(),
      wake: () => wakeLoop(),
      sizeOf: createSizeOf({
        blobSize: async (id) => (await blobs.stat(id))?.size ?? null,
        allowPrivate: opts.allowPrivateDataUrls ?? false,
        allowHosts: opts.allowHosts ?? [],
        ownOrigins: opts.publicOrigins ?? [],
      }),
    });
    const ledger = new BudgetLedger({
      store, logger,
      ...(budgetConfig === undefined ? {} : { budget: budgetConfig }),
      ...(opts.budgetRefreshMs === undefined ? {} : { refreshMs: opts.budgetRefreshMs }),
    });
    await ledger.start();
    const budget = new BudgetGate(ledger);
    const loop = new DispatchLoop({
      store, registry, telemetry, logger, coordinator: split, budget,
      ...(opts.budgetRecheckMs === undefined ? {} : { budgetRecheckMs: opts.budgetRecheckMs }),
      ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
      ...(opts.leaseMs === undefined ? {} : { leaseMs: opts.leaseMs }),
    });
    const bounds = new QueueBounds(store, {
      ...(opts.maxQueuedJobs === undefined ? {} : { maxQueuedJobs: opts.maxQueuedJobs }),
      ...(opts.maxQueuedBytes === undefined ? {} : { maxInlineBytes: opts.maxQueuedBytes }),
    });
    const dispatcher = new Dispatcher({
      blobs, registry, store, loop, telemetry, logger, nodeService, bounds, split, stats, feedIntervalMs: opts.dashboardIntervalMs, budget,
      privateByDefault: opts.privateByDefault ?? false, allowUnverified: opts.allowUnverified ?? false,
    });
    // node capacity and split progress may free room for held jobs: they are placed again too
    wakeLoop = () => loop.capacityChanged();
    loop.start();
    dispatcher.live.start();
    return dispatcher;
  }

  async submitJob(input: unknown): Promise<SubmitOutcome> {
    this.assertOpen();
    const job = normalizeJob(input, { privateByDefault: this.privateByDefault });
    this.assertPlaceable(job, '');
    await this.bounds.admit([job]);
    const [outcome] = await this.store.enqueue([job]);
    if (outcome!.created && this.split.owns(job)) this.split.progress.register(job.job_id);
    this.loop.wake();
    return outcome!;
  }

  async submitJobs(inputs: unknown[]): Promise<SubmitOutcome[]> {
    this.assertOpen();
    const jobs = normalizeJobs(inputs, { privateByDefault: this.privateByDefault });
    if (jobs.length === 0) return [];
    for (let i = 0; i < jobs.length; i++) this.assertPlaceable(jobs[i]!, `jobs[${i}].`);
    await this.bounds.admit(jobs);
    const outcomes = await this.store.enqueue(jobs);
    for (let i = 0; i < jobs.length; i++) if (outcomes[i]!.created && this.split.owns(jobs[i]!)) this.split.progress.register(jobs[i]!.job_id);
    this.loop.wake();
    return outcomes;
  }

  /**
   * Refuses at submit what trust rules forbid: a private job that may only
   * run on untrusted substrates, and verify "none" unless the operator
   * allows unverified results.
   */
  private assertPlaceable(job: JobSpec, prefix: string): void {
    if (job.verify === 'none' && !this.allowUnverified) {
      throw new PacketFSError('INVALID_JOB', 'verify "none" is not allowed on this dispatcher (the operator must set allow_unverified)', { path: `${prefix}verify` });
    }
    if (job.private === true && !this.registry.canEverRun(job) && this.registry.canEverRun(withoutPrivate(job))) {
      throw new PacketFSError('INVALID_JOB', 'a private job never runs on untrusted substrates (browser, volunteer), and its substrates allow nothing else', { path: `${prefix}private` });
    }
  }

  async getJob(jobId: string): Promise<JobStatusView | null> {
    const view: JobStatusView | null = await this.store.get(jobId);
    if (view === null) return null;
    const parentId = parentIdOf(jobId);
    if (parentId !== null) view.parent_id = parentId;
    // A finished job's progress is the one in its result: a live entry here may be stale (the job
    // was submitted here but run by another dispatcher sharing the store) and is dropped.
    if (view.result !== null) {
      this.split.progress.delete(jobId);
      view.result = await this.withShelvedProgress(view.result);
      if (view.result.progress !== undefined) view.progress = view.result.progress;
      return view;
    }
    // Running here: this process's board is live. Elsewhere: the coordinator's last batch on the
    // store's shelf. Queued and submitted here: zeros until a coordinator starts.
    const progress: SplitProgress | undefined | null = this.split.runsHere(jobId)
      ? this.split.progress.get(jobId)
      : await this.store.progress.read(jobId) ?? this.split.progress.get(jobId);
    if (progress !== undefined && progress !== null) view.progress = progress;
    return view;
  }

  /** A cancelled split parent's record is written by the store, without progress: its last progress is on the shelf. */
  private async withShelvedProgress(record: ResultRecord): Promise<ResultRecord> {
    if (record.status !== 'cancelled' || record.progress !== undefined) return record;
    const progress = await this.store.progress.read(record.job_id);
    return progress === null ? record : { ...record, progress };
  }

  async getResult(jobId: string, opts: { wait?: number } = {}): Promise<ResultRecord | null> {
    const wait = opts.wait ?? 0;
    if (typeof wait !== 'number' || !Number.isFinite(wait) || wait < 0 || wait > MAX_WAIT_S) {
      throw new PacketFSError('INVALID_REQUEST', `wait must be a number of seconds 0..${MAX_WAIT_S}`, { path: 'wait' });
    }
    const record = wait > 0 ? await this.store.waitForResult(jobId, wait * 1000) : await this.store.getResult(jobId);
    return record === null ? null : this.withShelvedProgress(record);
  }

  /** Cancelling a split job here stops its run at once, which cancels its windows (another process's run notices within its poll). */
  async cancel(jobId: string): Promise<'cancelled' | 'not_found' | 'finished'> {
    const outcome = await this.store.cancel(jobId);
    if (outcome === 'cancelled') this.split.cancelled(jobId);
    return outcome;
  }

  listJobs(query: JobListQuery): Promise<ListPage> {
    const { children, ...storeQuery } = query;
    return children === true ? this.store.list(storeQuery) : listWithoutChildren(this.store, storeQuery);
  }

  async getMetrics(limit = 100): Promise<MetricsReport> {
    const metrics = await this.store.recentMetrics(limit);
    const substrates: Record<string, SubstrateAggregate> = {};
    for (const m of metrics) {
      const key = m.substrate ?? 'none';
      substrates[key] ??= { jobs: 0, succeeded: 0, failed: 0, avg_exec_time_ms: 0, total_cost_usd: 0, bytes_processed: 0 };
      const a = substrates[key];
      a.jobs++;
      if (m.success) a.succeeded++; else if (m.status === 'failed') a.failed++;
      a.avg_exec_time_ms += m.exec_time_ms;
      a.total_cost_usd += m.cost_usd;
      a.bytes_processed += m.bytes_processed;
    }
    for (const a of Object.values(substrates)) a.avg_exec_time_ms = a.jobs === 0 ? 0 : a.avg_exec_time_ms / a.jobs;
    return { metrics, substrates };
  }

  async listSubstrates(): Promise<SubstrateView[]> {
    return this.registry.views();
  }

  async getCosts(): Promise<CostsReport> {
    return costsReport(this.budget.ledger, Date.now());
  }

  async dryRunJob(input: unknown): Promise<DryRunOutcome> {
    const job = normalizeJob(input, { privateByDefault: this.privateByDefault });
    this.assertPlaceable(job, '');
    return dryRun(job, this.registry, this.budget);
  }

  async dryRunJobs(inputs: unknown[]): Promise<DryRunOutcome[]> {
    const jobs = normalizeJobs(inputs, { privateByDefault: this.privateByDefault });
    for (let i = 0; i < jobs.length; i++) this.assertPlaceable(jobs[i]!, `jobs[${i}].`);
    return jobs.map((job) => dryRun(job, this.registry, this.budget));
  }

  async ready(): Promise<{ ready: boolean; store: boolean; substrates: number; store_warning?: string }> {
    const store = await this.store.ready().catch(() => false);
    const substrates = this.registry.views().filter((v) => v.healthy && v.circuit !== 'open').length;
    const warning = this.store.durabilityWarning?.() ?? null;
    return { ready: store && substrates > 0 && !this.closing, store, substrates, ...(warning === null ? {} : { store_warning: warning }) };
  }

  async prometheus(): Promise<string> {
    const depth = await this.store.depth().catch(() => null);
    const nodes = this.nodeService === undefined ? undefined : {
      verification: this.nodeService.verificationStats(),
      nodes: this.nodeService.listNodes().map((n) => ({ kind: n.kind, state: n.state })),
    };
    return (await this.telemetry.render(depth, this.registry.views(), nodes)) + (await this.budgetMetrics.render());
  }

  /** SIGTERM path: stop taking work; in-flight batches finish and their results are stored. */
  async drain(): Promise<void> {
    this.closing = true;
    this.split.stop();
    await this.loop.drain();
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.drain();
      await this.budget.ledger.close();
      await this.live.close();
      this.registry.close();
      await this.nodeService?.close();
      await Promise.allSettled(this.registry.all().map((s) => s.close()));
      await this.store.close();
      await this.blobs.close();
      this.logger.info({ event: 'closed' }, 'dispatcher closed');
    })();
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closing) throw new PacketFSError('SHUTTING_DOWN', 'the dispatcher is shutting down and takes no new jobs');
  }
}

/** The store the options ask for: Redis with a URL, else SQLite in the data dir when one was given, else memory. */
async function openStore(opts: DispatcherOptions, dataDir: string, logger: Logger): Promise<JobStore> {
  const storeOpts: StoreOptions = {
    ...(opts.resultTtlMs === undefined ? {} : { resultTtlMs: opts.resultTtlMs }),
    ...(opts.metricsLimit === undefined ? {} : { metricsLimit: opts.metricsLimit }),
    ...(opts.maxResults === undefined ? {} : { maxResults: opts.maxResults }),
    ...(opts.maxResultBytes === undefined ? {} : { maxResultBytes: opts.maxResultBytes }),
  };
  const redisOpts = {
    ...storeOpts, logger,
    ...(opts.redisShards === undefined ? {} : { shards: opts.redisShards }),
    ...(opts.redisWaitReplicas === undefined ? {} : { waitReplicas: opts.redisWaitReplicas }),
  };
  if (opts.redisCluster !== undefined) return connectRedis({ cluster: opts.redisCluster }, redisOpts);
  if (opts.redisUrl) return connectRedis({ url: opts.redisUrl }, redisOpts);
  const kind = opts.storeKind ?? (opts.dataDir === undefined ? 'memory' : 'sqlite');
  if (kind === 'memory') return new MemoryJobStore(storeOpts);
  const { SqliteJobStore } = await import('../store/sqlite/sqlite-store.js');
  return SqliteJobStore.open(dataDir, { ...storeOpts, logger, ...(opts.fsync === undefined ? {} : { fsync: opts.fsync }) });
}

function trustedLocal(registry: SubstrateRegistry): Substrate | null {
  const local = registry.get('local');
  return local !== undefined && local.capabilities().trust === 'trusted' ? local : null;
}

/** Loaded on demand so the embedded default never loads a Redis client. */
async function connectRedis(where: { url: string } | { cluster: string[] }, opts: StoreOptions & { logger: Logger; shards?: number; waitReplicas?: number }): Promise<JobStore> {
  const { RedisJobStore } = await import('../store/redis/redis-store.js');
  return 'url' in where ? RedisJobStore.connect(where.url, opts) : RedisJobStore.connectCluster(where.cluster, opts);
}

/** The same job as if it had not asked to be private. */
function withoutPrivate(job: JobSpec): JobSpec {
  const copy = { ...job };
  delete copy.private;
  return copy;
}
