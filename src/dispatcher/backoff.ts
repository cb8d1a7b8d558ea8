/**
 * Delay before a failed job's next attempt: exponential in the attempt number
 * with "equal jitter" (half fixed, half random), so a burst of failures from
 * one broken substrate does not come back as a synchronized burst.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 200, maxMs: 30_000 };

export function retryDelayMs(failedAttempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, failedAttempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
