/**
 * Capped exponential backoff: the one formula every retry and reconnect in
 * the project uses (the dispatcher's job retries, store round trips, Redis
 * reconnects, volunteer and browser node reconnects, `packetfs top`, the
 * dashboard). Free of Node imports: esbuild bundles it into the browser
 * runtime and the dashboard.
 *
 *   delay(n) = jitter(min(maxMs, baseMs × 2^n))     n = failures so far − 1
 *
 * Jitter spreads retries of many clients that failed together (a dispatcher
 * restart drops every node at once) so they do not come back in step:
 *   none  — exactly the exponential value (a single client, a UI)
 *   equal — half fixed, half random: [d/2, d] (never retries too early)
 *   full  — uniformly random in [0, d] (the widest spread; AWS's advice for
 *           many clients hitting one server)
 */
export type Jitter = 'none' | 'equal' | 'full';

export interface BackoffPolicy {
  /** the first delay (before jitter) */
  baseMs: number;
  /** no delay exceeds this (before jitter) */
  maxMs: number;
  jitter: Jitter;
}

/** Delay before retry number `retry` (0 for the first retry). */
export function backoffDelayMs(policy: BackoffPolicy, retry: number, random: () => number = Math.random): number {
  // past 2^30 × base every sane cap is reached; the bound keeps 2 ** n finite
  const exponent = Math.min(Math.max(0, Math.floor(retry)), 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  switch (policy.jitter) {
    case 'none': return ceiling;
    case 'equal': return Math.round(ceiling / 2 + random() * (ceiling / 2));
    case 'full': return Math.round(random() * ceiling);
  }
}

/**
 * The state of one retrying client: counts failures since the last success.
 * `next()` gives the delay before the next try and counts a failure;
 * `reset()` after a success starts again from `baseMs`.
 */
export class Backoff {
  private failures = 0;

  constructor(private readonly policy: BackoffPolicy, private readonly random: () => number = Math.random) {}

  next(): number {
    return backoffDelayMs(this.policy, this.failures++, this.random);
  }

  reset(): void {
    this.failures = 0;
  }

  /** failures since the last reset */
  get attempts(): number {
    return this.failures;
  }
}
