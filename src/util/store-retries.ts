/**
 * Store writes must not fail because the store blinked: a few retries with
 * exponential backoff (200 ms, 400 ms, … 1.6 s), then the error. Callers rely
 * on leases expiring when it stays down, and on idempotent writes.
 */
export async function withStoreRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}
