import type { Capabilities, PricingModel } from '../../scheduler/capabilities.js';
import type { ExecOutcome, ExecRequest, HealthReport, Substrate } from '../substrate.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { failEach } from './compute-reply.js';
import { CostMeter, type FreeTier } from './cost-meter.js';
import { toRemoteJob, type RemoteJob } from './remote-job.js';

/** How much one instance takes on; every field can be set per instance in the config file. */
export interface RemoteLimits {
  /** jobs in flight across the instance (its slots) */
  max_concurrent_jobs: number;
  /** largest memory a job may declare (Lambda: the function's memory size, which is also what is billed) */
  max_memory_mb: number;
  max_duration_seconds: number;
  /** jobs per request */
  max_batch: number;
  /** requests open at once */
  concurrency: number;
}

export interface RemotePricing {
  pricing: PricingModel;
  free_tier?: FreeTier;
  /** the flat hourly figure the `classic` policy scores with */
  cost_per_hour_usd: number;
}

/** What every cloud adapter is told, besides how to reach its runtime. */
export interface RemoteSubstrateOptions {
  name: string;
  /** origin (scheme://host:port) under which runtimes reach this dispatcher's /v1/blobs */
  publicOrigin?: string;
  pricing?: Partial<RemotePricing>;
  limits?: Partial<RemoteLimits>;
  /** declared latency until measurements replace it */
  latencyMs?: number;
}

export interface RemoteDefaults {
  pricing: RemotePricing;
  limits: RemoteLimits;
  latencyMs: number;
  /** largest request body the provider accepts; bigger requests are split */
  maxRequestBytes: number;
}

/** Seconds a request may run past its jobs' timeout before it is abandoned. */
const REQUEST_GRACE_MS = 5000;

/**
 * What the cloud adapters share: batches are split into requests of at most
 * `max_batch` jobs, at most `concurrency` of them open at once; blob jobs are
 * rewritten for a remote reader; each request's cost is shared by its jobs.
 * A subclass only says how one request travels (`send`) and how health is
 * probed. `send` never rejects: transport failures are outcomes.
 */
export abstract class RemoteSubstrate implements Substrate {
  abstract readonly type: string;
  readonly name: string;
  protected readonly limits: RemoteLimits;
  private readonly limiter: ConcurrencyLimiter;
  protected inFlight = 0;
  protected closed = false;
  private readonly publicOrigin: string | undefined;
  private readonly pricing: RemotePricing;
  private readonly latencyMs: number;
  private readonly maxRequestBytes: number;
  private readonly cost: CostMeter;

  constructor(opts: RemoteSubstrateOptions, defaults: RemoteDefaults) {
    this.name = opts.name;
    this.publicOrigin = opts.publicOrigin?.replace(/\/+$/, '');
    this.limits = { ...defaults.limits, ...opts.limits };
    this.pricing = { ...defaults.pricing, ...opts.pricing };
    this.latencyMs = opts.latencyMs ?? defaults.latencyMs;
    this.maxRequestBytes = defaults.maxRequestBytes;
    this.limiter = new ConcurrencyLimiter(this.limits.concurrency);
    this.cost = new CostMeter(this.pricing.pricing, this.limits.max_memory_mb, this.pricing.free_tier);
  }

  capabilities(): Capabilities {
    return {
      max_concurrent_jobs: this.limits.max_concurrent_jobs,
      max_memory_mb: this.limits.max_memory_mb,
      max_duration_seconds: this.limits.max_duration_seconds,
      supports_gpu: false,
      supports_persistent_state: false,
      cost_per_hour_usd: this.pricing.cost_per_hour_usd,
      latency_ms: this.latencyMs,
      available_slots: this.closed ? 0 : Math.max(0, this.slotCapacity() - this.inFlight),
      pricing: this.pricing.pricing,
      trust: 'trusted',
    };
  }

  async execute(batch: ExecRequest[]): Promise<ExecOutcome[]> {
    if (this.closed) return failEach(batch.length, 'SUBSTRATE_FAILED', `substrate ${this.name} is closed`, true, 0);
    const now = Date.now();
    const outcomes = new Array<ExecOutcome>(batch.length);
    const jobs: RemoteJob[] = [];
    const slots: number[] = [];
    let latestDeadline = now;
    for (let i = 0; i < batch.length; i++) {
      const job = toRemoteJob(batch[i]!, this.name, this.publicOrigin, now);
      if (!('job_id' in job)) {
        outcomes[i] = job;
        continue;
      }
      jobs.push(job);
      slots.push(i);
      latestDeadline = Math.max(latestDeadline, batch[i]!.deadline);
    }
    this.inFlight += batch.length;
    try {
      await this.beforeSend();
      const timeoutMs = latestDeadline - now + REQUEST_GRACE_MS;
      const requests: Array<Promise<void>> = [];
      for (let start = 0; start < jobs.length; start += this.limits.max_batch) {
        const chunk = jobs.slice(start, start + this.limits.max_batch);
        const chunkSlots = slots.slice(start, start + this.limits.max_batch);
        requests.push(this.limiter.run(() => this.sendWithinSize(chunk, timeoutMs)).then((answered) => {
          for (let k = 0; k < chunkSlots.length; k++) outcomes[chunkSlots[k]!] = answered[k]!;
        }));
      }
      await Promise.all(requests);
    } finally {
      this.inFlight -= batch.length;
    }
    return outcomes;
  }

  abstract probe(): Promise<HealthReport>;

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Slots the instance can fill right now; Fly overrides it with what its machines can take. */
  protected slotCapacity(): number {
    return this.limits.max_concurrent_jobs;
  }

  /** Called before a batch's requests go out (its jobs already count as in flight); Fly starts machines here. Must not reject. */
  protected async beforeSend(): Promise<void> {}

  /**
   * Sends one request; `body` is `{"jobs": [...]}` already serialised.
   * One outcome per job, same order; never rejects.
   */
  protected abstract send(jobs: RemoteJob[], body: string, timeoutMs: number): Promise<ExecOutcome[]>;

  /**
   * Halves a request until its body fits the provider's limit (Lambda 6 MB,
   * Vercel Edge 4 MB): inline data makes job sizes uneven, so a count limit
   * alone cannot keep a batch under it. A single job over the limit is sent
   * as it is and the provider's refusal reported.
   */
  private async sendWithinSize(jobs: RemoteJob[], timeoutMs: number): Promise<ExecOutcome[]> {
    const body = JSON.stringify({ jobs });
    if (jobs.length > 1 && Buffer.byteLength(body) > this.maxRequestBytes) {
      const half = Math.ceil(jobs.length / 2);
      const [first, second] = await Promise.all([this.sendWithinSize(jobs.slice(0, half), timeoutMs), this.sendWithinSize(jobs.slice(half), timeoutMs)]);
      return [...first, ...second];
    }
    const startedAt = performance.now();
    const outcomes = await this.send(jobs, body, timeoutMs);
    const costUsd = this.cost.perJobUsd(jobs.length, performance.now() - startedAt);
    for (const outcome of outcomes) if (outcome.ok) outcome.cost_usd = costUsd;
    return outcomes;
  }
}
