import type { ResultRecord } from '../job/types.js';
import { bucketOf, LATENCY_BUCKETS } from './latency-histogram.js';
import { MAX_FAILURES, SERIES_SECONDS, type FailureRow, type Totals } from './snapshot.js';

/** Seconds of latency kept for the percentiles. */
const LATENCY_WINDOW_S = 60;

interface PerSubstrate {
  succeeded: number;
  failed: number;
  cost_usd: number;
}

/**
 * The live numbers of one dispatcher, fed with every result it writes
 * (Telemetry forwards them) and read once a second by the dashboard feed.
 *
 * State: totals since start; two rings indexed by epoch second (jobs
 * finished per second over SERIES_SECONDS, latency histograms over the last
 * LATENCY_WINDOW_S), both advanced lazily: `advance(now)` zeroes the slots of
 * the seconds that passed since the last write or read, so an idle
 * dispatcher does no work; and the last MAX_FAILURES failures, newest last.
 * Recording is a few array writes, cheap enough for the hot path.
 */
export class LiveStats {
  readonly totals: Totals = { succeeded: 0, failed: 0, cost_usd: 0, bytes: 0 };
  readonly perSubstrate = new Map<string, PerSubstrate>();
  private readonly succeeded = new Float64Array(SERIES_SECONDS);
  private readonly failed = new Float64Array(SERIES_SECONDS);
  private readonly latency = new Float64Array(LATENCY_WINDOW_S * LATENCY_BUCKETS);
  private readonly failures: FailureRow[] = [];
  /** the epoch second the rings' current slots stand for */
  private second: number;

  constructor(private readonly now: () => number = Date.now) {
    this.second = Math.floor(now() / 1000);
  }

  record(r: ResultRecord): void {
    if (r.status === 'cancelled') return;
    const second = this.advance(Math.floor(this.now() / 1000));
    const slot = second % SERIES_SECONDS;
    const sub = this.substrate(r.substrate ?? 'none');
    this.totals.cost_usd += r.cost_usd;
    sub.cost_usd += r.cost_usd;
    if (r.status === 'succeeded') {
      this.totals.succeeded++;
      this.totals.bytes += r.bytes_processed;
      sub.succeeded++;
      this.succeeded[slot]!++;
    } else {
      this.totals.failed++;
      sub.failed++;
      this.failed[slot]!++;
      this.failures.push({
        job_id: r.job_id, code: r.error?.code ?? 'INTERNAL', message: (r.error?.message ?? '').slice(0, 300),
        substrate: r.substrate, attempts: r.attempts, at: r.completed_at,
      });
      if (this.failures.length > MAX_FAILURES) this.failures.shift();
    }
    this.latency[(second % LATENCY_WINDOW_S) * LATENCY_BUCKETS + bucketOf(r.queue_time_ms + r.exec_time_ms)]!++;
  }

  /** Jobs finished per second, oldest first, ending with the current second. */
  series(): { end: number; succeeded: number[]; failed: number[] } {
    const end = this.advance(Math.floor(this.now() / 1000));
    const succeeded = new Array<number>(SERIES_SECONDS);
    const failed = new Array<number>(SERIES_SECONDS);
    for (let i = 0; i < SERIES_SECONDS; i++) {
      const slot = (end - SERIES_SECONDS + 1 + i + SERIES_SECONDS) % SERIES_SECONDS;
      succeeded[i] = this.succeeded[slot]!;
      failed[i] = this.failed[slot]!;
    }
    return { end, succeeded, failed };
  }

  /** Latency counts of the last minute, summed over its seconds. */
  latencyCounts(): number[] {
    this.advance(Math.floor(this.now() / 1000));
    const counts = new Array<number>(LATENCY_BUCKETS).fill(0);
    for (let s = 0; s < LATENCY_WINDOW_S; s++) {
      for (let b = 0; b < LATENCY_BUCKETS; b++) counts[b]! += this.latency[s * LATENCY_BUCKETS + b]!;
    }
    return counts;
  }

  recentFailures(): FailureRow[] {
    return [...this.failures];
  }

  /** Moves the rings to `second`, zeroing the slots of the seconds skipped; returns the current second. */
  private advance(second: number): number {
    if (second <= this.second) return this.second;
    const steps = Math.min(second - this.second, SERIES_SECONDS);
    for (let k = 1; k <= steps; k++) {
      const slot = (this.second + k) % SERIES_SECONDS;
      this.succeeded[slot] = 0;
      this.failed[slot] = 0;
    }
    const latencySteps = Math.min(second - this.second, LATENCY_WINDOW_S);
    for (let k = 1; k <= latencySteps; k++) {
      this.latency.fill(0, ((this.second + k) % LATENCY_WINDOW_S) * LATENCY_BUCKETS, (((this.second + k) % LATENCY_WINDOW_S) + 1) * LATENCY_BUCKETS);
    }
    this.second = second;
    return second;
  }

  private substrate(name: string): PerSubstrate {
    let s = this.perSubstrate.get(name);
    if (s === undefined) {
      s = { succeeded: 0, failed: 0, cost_usd: 0 };
      this.perSubstrate.set(name, s);
    }
    return s;
  }
}
