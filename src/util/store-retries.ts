import { backoffDelayMs, type BackoffPolicy } from './backoff.js';

/**
 * Store writes must not fail because the store blinked: a few retries with
 * exponential backoff (about 200 ms, 400 ms, … 1.6 s), then the error.
 * Callers rely on leases expiring when it stays down, and on idempotent writes.
 */
const STORE_WRITE_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 1_600, jitter: 'equal' };
const ATTEMPTS = 5;

export async function withStoreRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, backoffDelayMs(STORE_WRITE_BACKOFF, attempt - 1)));
    }
  }
}
