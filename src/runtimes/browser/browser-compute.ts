import { PacketFSError, toErrorBody } from '../../errors.js';
import { normalizeProgram } from '../../job/normalize-program.js';
import type { ExecOutcome } from '../../substrates/substrate.js';
import { detectCapabilities, logicalCores } from './capabilities.js';
import type { GpuReport } from './gpu-offload.js';
import { coordinatorWsUrl } from './coordinator-url.js';
import { DEFAULT_MAX_WORKERS, DEFAULT_SLOTS_PER_WORKER, workerCount } from './cpu-share.js';
import { LIMITS } from '../../node-protocol/index.js';
import { NodeClient, type NodeClientState } from './node-client.js';
import { toSubmitJobResult, type SubmitJobResult } from './submit-job-result.js';
import { WorkerPool } from './worker-pool.js';

export interface BrowserComputeOptions {
  /** fraction of the logical cores to use, (0, 1]; default 1. 0.5 on 8 cores → 4 workers */
  cpuShare?: number;
  /** upper bound on workers whatever the core count; default 8 */
  maxWorkers?: number;
  /** jobs each worker holds at once when serving a dispatcher; default 8 */
  slotsPerWorker?: number;
  /** URL of packetfs-worker.js; default: beside the runtime script */
  workerUrl?: string;
  /** dispatcher origin whose /v1/blobs `blob` programs read; default: the runtime script's origin */
  dispatcherOrigin?: string;
}

export type { SubmitJobResult } from './submit-job-result.js';

export interface BrowserComputeMetrics {
  workers: number;
  jobsCompleted: number;
  jobsFailed: number;
  bytesProcessed: number;
  /** summed over jobs, as the workers measured them */
  executionTimeMs: number;
  /** jobs received from a dispatcher (also counted in jobsCompleted/jobsFailed) */
  remoteJobs: number;
  inFlight: number;
  coordinator: NodeClientState | 'disconnected';
  nodeId: string | null;
  /** time registered with a dispatcher, ms */
  donatedMs: number;
  serviceWorker: 'registered' | 'unsupported' | 'failed' | 'none';
  /** ms since initialize() */
  uptimeMs: number;
  // The original runtime's keys, for pages written against it:
  /** jobs finished, succeeded or failed */
  jobsExecuted: number;
  totalBytesProcessed: number;
  totalExecutionTimeMs: number;
  /** succeeded ÷ finished, 0 before the first job */
  successRate: number;
  avgExecutionTimeMs: number;
  avgBytesPerJob: number;
  /** WebGPU offload of counteq/xor/add on large windows: used only when it measured faster than the CPU */
  gpu: GpuReport;
}

/** Results kept for getResult(); the oldest go first. */
const MAX_KEPT_RESULTS = 1000;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * PacketFS compute in a browser tab, with the original API: `initialize()`,
 * `submitJob(program, {timeout})`, `getResult(jobId)`, `getMetrics()` and
 * `connectToCoordinator(url)`. Ops always run in dedicated Web Workers
 * (never on the page's main thread) with the same op code as the server.
 */
export class PacketFSBrowserCompute {
  /** URL of the runtime script itself; the bundle entries set it so workers are found beside it */
  static scriptUrl: string | undefined;

  readonly serviceWorkerUrl: string | null;
  private readonly options: BrowserComputeOptions;
  private pool: WorkerPool | null = null;
  private initializing: Promise<void> | null = null;
  private client: NodeClient | null = null;
  private readonly results = new Map<string, SubmitJobResult>();
  private readonly counters = { jobsCompleted: 0, jobsFailed: 0, bytesProcessed: 0, executionTimeMs: 0, remoteJobs: 0 };
  /** time donated under earlier connections: kept across disconnect()/connect, like the other counters */
  private donatedBeforeMs = 0;
  private serviceWorker: BrowserComputeMetrics['serviceWorker'] = 'none';
  private startedAt = 0;

  constructor(serviceWorkerUrl: string | null = null, options: BrowserComputeOptions = {}) {
    this.serviceWorkerUrl = serviceWorkerUrl;
    this.options = options;
  }

  /**
   * Starts the worker pool and, when given a URL, registers the Service
   * Worker. Resolves true, as the original did; safe to call twice. It
   * rejects when no worker can start (the original resolved false there,
   * but a page that goes on to submitJob would only fail later).
   */
  async initialize(): Promise<true> {
    this.initializing ??= this.start();
    await this.initializing;
    return true;
  }

  async submitJob(program: unknown, opts: { timeout?: number } = {}): Promise<SubmitJobResult> {
    const jobId = crypto.randomUUID();
    const timeout = opts.timeout ?? DEFAULT_TIMEOUT_MS;
    let outcome: ExecOutcome;
    try {
      if (!(typeof timeout === 'number' && timeout > 0)) {
        throw new PacketFSError('INVALID_REQUEST', 'timeout must be a number of milliseconds > 0', { path: 'timeout' });
      }
      const spec = normalizeProgram(program);
      await this.initialize();
      [outcome] = await this.requirePool().run([{ program: spec, deadline: Date.now() + timeout }]) as [ExecOutcome];
    } catch (err) {
      outcome = { ok: false, error: toErrorBody(err), retryable: false, exec_time_ms: 0 };
    }
    this.count(outcome);
    const result = toSubmitJobResult(jobId, outcome);
    this.keep(result);
    return result;
  }

  getResult(jobId: string): SubmitJobResult | null {
    return this.results.get(jobId) ?? null;
  }

  getMetrics(): BrowserComputeMetrics {
    const { jobsCompleted, jobsFailed, bytesProcessed, executionTimeMs } = this.counters;
    const jobsExecuted = jobsCompleted + jobsFailed;
    const perJob = Math.max(1, jobsExecuted);
    return {
      workers: this.pool?.size ?? 0,
      ...this.counters,
      inFlight: this.pool?.inFlight ?? 0,
      coordinator: this.client?.state ?? 'disconnected',
      nodeId: this.client?.nodeId ?? null,
      donatedMs: this.donatedBeforeMs + (this.client?.donatedMs() ?? 0),
      serviceWorker: this.serviceWorker,
      uptimeMs: this.startedAt === 0 ? 0 : Date.now() - this.startedAt,
      jobsExecuted,
      totalBytesProcessed: bytesProcessed,
      totalExecutionTimeMs: executionTimeMs,
      successRate: jobsExecuted === 0 ? 0 : jobsCompleted / jobsExecuted,
      avgExecutionTimeMs: executionTimeMs / perJob,
      avgBytesPerJob: bytesProcessed / perJob,
      gpu: this.pool?.gpu ?? { status: 'unavailable' },
    };
  }

  /**
   * Joins a dispatcher as a browser node and runs the jobs it assigns until
   * disconnect(). `url` is the dispatcher's http(s) origin or its node socket
   * ws(s) URL; without one, the page's own origin (a page the dispatcher
   * served). Resolves with the node id once registered.
   */
  async connectToCoordinator(url: string = location.origin, opts: { token?: string } = {}): Promise<string> {
    await this.initialize();
    this.disconnect();
    const pool = this.requirePool();
    // the protocol bounds what a node may declare
    const slots = Math.min(LIMITS.maxSlots, pool.size * (this.options.slotsPerWorker ?? DEFAULT_SLOTS_PER_WORKER));
    const client = new NodeClient({
      url: coordinatorWsUrl(url, location.href),
      slots,
      capabilities: detectCapabilities(pool.gpu),
      token: opts.token,
      runEach: (jobs, sink) => pool.runEach(jobs, sink),
      onOutcome: (outcome) => { this.counters.remoteJobs++; this.count(outcome); },
    });
    this.client = client;
    return client.start();
  }

  /** Leaves the dispatcher (bye); the workers stay up for submitJob. */
  disconnect(): void {
    if (this.client === null) return;
    this.client.close();
    this.donatedBeforeMs += this.client.donatedMs();
    this.client = null;
  }

  /** Leaves the dispatcher and stops the workers. */
  terminate(): void {
    this.disconnect();
    this.pool?.terminate();
    this.pool = null;
    this.initializing = null;
  }

  private async start(): Promise<void> {
    this.startedAt = Date.now();
    const base = PacketFSBrowserCompute.scriptUrl ?? location.href;
    const workerUrl = this.options.workerUrl ?? new URL('packetfs-worker.js', base).href;
    const origin = this.options.dispatcherOrigin ?? new URL(base).origin;
    const count = workerCount(logicalCores(), this.options.cpuShare ?? 1, this.options.maxWorkers ?? DEFAULT_MAX_WORKERS);
    const [pool] = await Promise.all([WorkerPool.create(workerUrl, count, origin), this.registerServiceWorker()]);
    this.pool = pool;
  }

  /** A Service Worker only speeds reloads up: failing to register it never fails initialize(). */
  private async registerServiceWorker(): Promise<void> {
    if (this.serviceWorkerUrl === null) return;
    if (!('serviceWorker' in navigator)) {
      this.serviceWorker = 'unsupported';
      return;
    }
    try {
      await navigator.serviceWorker.register(this.serviceWorkerUrl, { scope: '/' });
      await navigator.serviceWorker.ready;
      this.serviceWorker = 'registered';
    } catch (err) {
      this.serviceWorker = 'failed';
      console.warn(`packetfs: the Service Worker ${this.serviceWorkerUrl} did not register: ${(err as Error).message}`);
    }
  }

  private requirePool(): WorkerPool {
    if (this.pool === null) throw new PacketFSError('SHUTTING_DOWN', 'the runtime was terminated; call initialize() again');
    return this.pool;
  }

  private count(outcome: ExecOutcome): void {
    this.counters.executionTimeMs += outcome.exec_time_ms;
    if (!outcome.ok) {
      this.counters.jobsFailed++;
      return;
    }
    this.counters.jobsCompleted++;
    this.counters.bytesProcessed += outcome.bytes_processed;
  }

  private keep(result: SubmitJobResult): void {
    this.results.set(result.jobId, result);
    if (this.results.size > MAX_KEPT_RESULTS) this.results.delete(this.results.keys().next().value!);
  }
}
