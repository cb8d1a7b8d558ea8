/**
 * Latency as counts in fixed logarithmic buckets, so histograms from several
 * dispatchers merge by adding counts (samples would not). Bucket i holds
 * latencies up to FIRST_BOUND_MS × GROWTH^i; the last bucket takes everything
 * longer. With GROWTH 1.25 a percentile read from the buckets is within 12 %
 * of the true value, which is plenty to watch a pool.
 */
export const LATENCY_BUCKETS = 72;
const FIRST_BOUND_MS = 0.1;
const GROWTH = 1.25;
const LOG_GROWTH = Math.log(GROWTH);

/** Upper bound of bucket i in milliseconds (the last bucket is open-ended: its bound stands for it). */
export function bucketBoundMs(i: number): number {
  return FIRST_BOUND_MS * GROWTH ** i;
}

export function bucketOf(ms: number): number {
  if (!(ms > FIRST_BOUND_MS)) return 0;
  const i = Math.ceil(Math.log(ms / FIRST_BOUND_MS) / LOG_GROWTH - 1e-9);
  return Math.min(LATENCY_BUCKETS - 1, i);
}

/** The q-quantile (0 < q ≤ 1) of the counts, as its bucket's upper bound; null when there are none. */
export function quantileMs(counts: ArrayLike<number>, q: number): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i]!;
    if (seen >= rank) return bucketBoundMs(i);
  }
  return bucketBoundMs(counts.length - 1);
}

/** Adds `from` into `into` bucket by bucket. */
export function addCounts(into: number[], from: ArrayLike<number>): void {
  for (let i = 0; i < into.length && i < from.length; i++) into[i]! += from[i]!;
}
