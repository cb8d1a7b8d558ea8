import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Bounded waiting for conditions reached in the background (ingress, lease
 * expiry, reconnection, a node registering), where no event is exposed to
 * await. The deadline is generous and only bounds a broken build, never
 * judges speed; every wait in the suite goes through here so none can hang.
 */

/** Polls `probe` until it returns something other than undefined (a probe that throws counts as not yet). */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 15_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Polls `check` until it is true; an error from `check` ends the wait with that error. */
export async function until(what: string, check: () => boolean | Promise<boolean>, deadlineMs = 15_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
