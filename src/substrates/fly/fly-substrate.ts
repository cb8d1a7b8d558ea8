import type { HealthReport } from '../substrate.js';
import { bearer, HttpComputeSubstrate } from '../http-compute/http-compute-substrate.js';
import type { RemoteDefaults, RemoteSubstrateOptions } from '../http-compute/remote-substrate.js';
import { FlyScaler } from './fly-scaler.js';
import { MachinesApi } from './machines-api.js';

/**
 * Fly.io Machines, billed per second while started; the default is a
 * shared-cpu-1x with 256 MB. Sources in docs/pricing.md.
 */
export const FLY_DEFAULTS: RemoteDefaults = {
  pricing: {
    pricing: { model: 'per_hour', usd_per_hour: 1.94 / 730 },
    cost_per_hour_usd: 1.50,
  },
  limits: { max_concurrent_jobs: 4_000, max_memory_mb: 256, max_duration_seconds: 86_400, max_batch: 500, concurrency: 8 },
  latencyMs: 150,
  // the HTTP worker server's default body limit (32 MiB)
  maxRequestBytes: 32_000_000,
};

export interface FlySubstrateOptions extends RemoteSubstrateOptions {
  /** the app's public URL, e.g. https://packetfs.fly.dev */
  url: string;
  /** the HTTP worker's bearer token (PACKETFS_TOKEN on the machines) */
  token?: string;
  /** Machines API access; absent means no scaling (the app's own autostart decides) */
  machines?: {
    app: string;
    apiToken: string;
    apiUrl?: string;
    min: number;
    max: number;
    /** jobs one machine takes at once; default max_concurrent_jobs / max */
    jobsPerMachine?: number;
    /** default 5 minutes */
    idleStopMs?: number;
  };
}

const IDLE_CHECK_MS = 10_000;

/**
 * A Fly app running the Node HTTP worker server. With `machines` set it
 * starts stopped machines as the queue grows and stops the extras after an
 * idle spell (see FlyScaler); slots are what the maximum pool can take, so
 * the scheduler keeps sending while machines start.
 */
export class FlySubstrate extends HttpComputeSubstrate {
  private readonly scaler: FlyScaler | null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(opts: FlySubstrateOptions) {
    super('fly', { ...opts, authorization: bearer(opts.token) }, FLY_DEFAULTS);
    const m = opts.machines;
    this.scaler = m === undefined ? null : new FlyScaler({
      api: new MachinesApi({ app: m.app, token: m.apiToken, ...(m.apiUrl === undefined ? {} : { baseUrl: m.apiUrl }) }),
      minMachines: m.min,
      maxMachines: m.max,
      jobsPerMachine: m.jobsPerMachine ?? Math.max(1, Math.floor(this.limits.max_concurrent_jobs / m.max)),
      idleStopMs: m.idleStopMs ?? 300_000,
    });
  }

  /** Machines currently started or starting (null without Machines API access). */
  get activeMachines(): number | null {
    return this.scaler?.active ?? null;
  }

  async start(): Promise<void> {
    if (this.scaler === null) return;
    await this.scaler.scaleFor(0);
    this.idleTimer = setInterval(() => void this.scaler?.stopIdle(this.inFlight), IDLE_CHECK_MS);
    this.idleTimer.unref();
  }

  /** The app's /health, after bringing the pool back to its minimum; a Machines API failure is reported too. */
  override async probe(): Promise<HealthReport> {
    await this.scaler?.scaleFor(this.inFlight);
    const report = await super.probe();
    const apiError = this.scaler?.lastError;
    if (apiError && report.healthy) report.detail = `Machines API: ${apiError}`;
    return report;
  }

  override async close(): Promise<void> {
    if (this.idleTimer !== null) clearInterval(this.idleTimer);
    await super.close();
  }

  /** Exposed for tests and operators: resolves once the machine starts and stops under way have finished. */
  scalingSettled(): Promise<void> {
    return this.scaler?.settled() ?? Promise.resolve();
  }

  /** Exposed for tests and operators: runs the idle check now instead of on its timer. */
  stopIdleMachines(): Promise<void> {
    return this.scaler?.stopIdle(this.inFlight) ?? Promise.resolve();
  }

  protected override async beforeSend(): Promise<void> {
    await this.scaler?.scaleFor(this.inFlight);
  }
}
