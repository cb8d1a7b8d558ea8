import { PacketFSError } from '../errors.js';

/** Exponentially weighted moving average: the first sample sets it, later ones move it by `alpha`. */
export class Ewma {
  private current: number | null = null;

  constructor(private readonly alpha: number) {}

  get value(): number | null {
    return this.current;
  }

  add(sample: number): void {
    this.current = this.current === null ? sample : this.alpha * sample + (1 - this.alpha) * this.current;
  }
}

/**
 * Jobs the exec-time ratio averages over. Queue estimates multiply it by the work of every job
 * ahead, so it should be the mean of many jobs, not swing with each batch (one batch may be a
 * single job that ran 1/8 or all of what it declared).
 */
const RATIO_WINDOW_JOBS = 50;

/**
 * Σ measured ÷ Σ declared over recent jobs: both sums decay by (1 − 1/window) per job, so a batch
 * of n jobs counts n times as much as a batch of one, and old batches fade.
 */
class JobWeightedRatio {
  private measured = 0;
  private declared = 0;

  constructor(private readonly windowJobs: number) {}

  get value(): number | null {
    return this.declared > 0 ? this.measured / this.declared : null;
  }

  add(measuredMs: number, declaredMs: number, jobs: number): void {
    const keep = (1 - 1 / this.windowJobs) ** jobs;
    this.measured = this.measured * keep + measuredMs;
    this.declared = this.declared * keep + declaredMs;
  }
}

export interface BatchSample {
  /** jobs in the batch */
  jobs: number;
  /** wall time from handing the batch to the substrate until its outcomes came back */
  latencyMs: number;
  /** bytes the batch's jobs processed */
  bytes: number;
  /** sum of the jobs' own exec_time_ms */
  execMs: number;
  /** exec_time_ms summed over the jobs that succeeded, and their declared durations (ms): how fast jobs run there relative to what they declare */
  okExecMs?: number;
  okDeclaredMs?: number;
}

/**
 * What a substrate actually does, learned from batches and probes.
 *
 * Round trip comes from two sources kept apart: batches (the real cost of
 * sending work there) and health probes (a trivial request). Probes only
 * stand in until a batch has been measured; after that they would pull a
 * realistic estimate towards an optimistic one.
 *
 * Throughput is bytes per second of a job's own execution (bytes / summed
 * exec time), so `bytes / throughput` estimates one job's processing time
 * however many jobs ran side by side.
 *
 * Samples that cannot be real (NaN, infinite, negative, empty batches) are
 * dropped: one broken clock reading must not poison the average.
 */
export class LatencyTracker {
  private readonly batchRtt: Ewma;
  private readonly probeRtt: Ewma;
  private readonly throughput: Ewma;
  private readonly execPerJob: Ewma;
  private readonly execRatioAvg = new JobWeightedRatio(RATIO_WINDOW_JOBS);

  constructor(opts: { alpha?: number } = {}) {
    const alpha = opts.alpha ?? 0.2;
    if (!(alpha > 0 && alpha <= 1)) {
      throw new PacketFSError('INVALID_REQUEST', `latency alpha must be in (0, 1], got ${alpha}`, { path: 'latencyAlpha' });
    }
    this.batchRtt = new Ewma(alpha);
    this.probeRtt = new Ewma(alpha);
    this.throughput = new Ewma(alpha);
    this.execPerJob = new Ewma(alpha);
  }

  recordBatch(sample: BatchSample): void {
    if (!(Number.isInteger(sample.jobs) && sample.jobs > 0)) return;
    if (isSane(sample.latencyMs)) this.batchRtt.add(sample.latencyMs);
    if (!isSane(sample.execMs)) return;
    this.execPerJob.add(sample.execMs / sample.jobs);
    const { okExecMs, okDeclaredMs } = sample;
    if (okExecMs !== undefined && okDeclaredMs !== undefined && isSane(okExecMs) && isSane(okDeclaredMs) && okDeclaredMs > 0) this.execRatioAvg.add(okExecMs, okDeclaredMs, sample.jobs);
    // Exec time 0 (sub-resolution timers) or no bytes says nothing about speed.
    if (sample.execMs > 0 && isSane(sample.bytes) && sample.bytes > 0) this.throughput.add(sample.bytes / (sample.execMs / 1000));
  }

  recordProbe(rttMs: number): void {
    if (isSane(rttMs)) this.probeRtt.add(rttMs);
  }

  /** measured round trip: batches once there are any, probes until then; null before either */
  get latencyMs(): number | null {
    return this.batchRtt.value ?? this.probeRtt.value;
  }

  /** bytes per second of one job's execution; null before a batch with bytes and exec time */
  get throughputBps(): number | null {
    return this.throughput.value;
  }

  /** measured exec time ÷ declared duration of the last ~RATIO_WINDOW_JOBS jobs that succeeded there; null before any */
  get execRatio(): number | null {
    return this.execRatioAvg.value;
  }

  /** round trip of health probes alone (the network, not the work); null before a probe answered */
  get probeLatencyMs(): number | null {
    return this.probeRtt.value;
  }

  /** average exec time of one job; null before any batch */
  get avgExecMs(): number | null {
    return this.execPerJob.value;
  }
}

function isSane(x: number): boolean {
  return Number.isFinite(x) && x >= 0;
}
