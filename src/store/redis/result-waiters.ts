import type { RedisClient } from './redis-connection.js';
import type { ResultRecord } from '../../job/types.js';
import type { Logger } from '../../logger.js';

/**
 * waitForResult across processes. One subscriber connection per store
 * listens on the queue's `done` channel, where every delivery of results
 * publishes one message with the batch's job ids; waiters sit in a Map by
 * job id, and a message wakes only the ids someone waits for, whose results
 * are then read in one round trip.
 *
 * Pub/sub is fire-and-forget (a message sent while the subscriber is
 * reconnecting is gone), so while anyone waits, all waited ids are also
 * polled every pollMs: a missed message costs latency, never a result.
 *
 * States: no subscriber until the first wait; then subscribed (ioredis
 * resubscribes by itself after reconnecting) until close(), which answers
 * every waiter with null.
 */
export interface WaiterOptions {
  /** opens the dedicated subscriber connection (called once, lazily) */
  openSubscriber: () => RedisClient;
  channel: string;
  /** reads results by id (null where there is none yet), one round trip */
  fetch: (ids: string[]) => Promise<(ResultRecord | null)[]>;
  pollMs: number;
  logger: Logger;
}

interface Waiter {
  resolve: (result: ResultRecord | null) => void;
  timer: NodeJS.Timeout;
}

export class ResultWaiters {
  private readonly waiting = new Map<string, Set<Waiter>>();
  private subscriber: RedisClient | null = null;
  private subscribed: Promise<unknown> | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: WaiterOptions) {}

  /** Resolves with the result once it exists, or null after timeoutMs. Rejects only if the first look fails. */
  async wait(jobId: string, timeoutMs: number): Promise<ResultRecord | null> {
    if (this.closed) return null;
    await this.subscribe();
    let waiter!: Waiter;
    const done = new Promise<ResultRecord | null>((resolve) => {
      waiter = { resolve, timer: setTimeout(() => this.settle(jobId, waiter, null), timeoutMs) };
    });
    let set = this.waiting.get(jobId);
    if (set === undefined) {
      set = new Set();
      this.waiting.set(jobId, set);
    }
    set.add(waiter);
    this.startPolling();
    // first look only now, after subscribing and registering, so a result
    // published in between reaches us one way or the other
    try {
      const [result] = await this.opts.fetch([jobId]);
      if (result) this.settleAll(jobId, result);
    } catch (err) {
      this.settle(jobId, waiter, null);
      throw err;
    }
    return done;
  }

  close(): void {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    for (const [jobId] of this.waiting) this.settleAll(jobId, null);
    this.subscriber?.disconnect();
    this.subscriber = null;
  }

  private async subscribe(): Promise<void> {
    if (this.subscribed === null) {
      const sub = this.opts.openSubscriber();
      this.subscriber = sub;
      sub.on('message', (_channel: string, message: string) => this.onMessage(message));
      this.subscribed = sub.subscribe(this.opts.channel).catch((err: Error) => {
        this.opts.logger.warn({ store: 'redis', err: err.message }, 'result channel subscription failed; polling only');
      });
    }
    // a subscription still pending (Redis down) must not hold the caller: polling covers the gap
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.subscribed, new Promise((r) => { timer = setTimeout(r, 250); })]);
    clearTimeout(timer);
  }

  private onMessage(message: string): void {
    let ids: unknown;
    try {
      ids = JSON.parse(message);
    } catch {
      return;
    }
    if (!Array.isArray(ids)) return;
    const wanted = ids.filter((id): id is string => typeof id === 'string' && this.waiting.has(id));
    if (wanted.length > 0) void this.check(wanted);
  }

  private startPolling(): void {
    if (this.pollTimer !== null) return;
    this.pollTimer = setInterval(() => {
      if (this.waiting.size === 0) {
        clearInterval(this.pollTimer!);
        this.pollTimer = null;
        return;
      }
      void this.check([...this.waiting.keys()]);
    }, this.opts.pollMs);
    this.pollTimer.unref();
  }

  /** Reads the ids' results and wakes their waiters; failures are left to the next poll. */
  private async check(ids: string[]): Promise<void> {
    try {
      for (let i = 0; i < ids.length; i += 1000) {
        const chunk = ids.slice(i, i + 1000);
        const results = await this.opts.fetch(chunk);
        results.forEach((result, j) => { if (result) this.settleAll(chunk[j]!, result); });
      }
    } catch {
      // Redis unreachable: the next poll tries again
    }
  }

  private settleAll(jobId: string, result: ResultRecord | null): void {
    const set = this.waiting.get(jobId);
    if (set === undefined) return;
    this.waiting.delete(jobId);
    for (const waiter of set) {
      clearTimeout(waiter.timer);
      waiter.resolve(result);
    }
  }

  private settle(jobId: string, waiter: Waiter, result: ResultRecord | null): void {
    clearTimeout(waiter.timer);
    const set = this.waiting.get(jobId);
    if (set?.delete(waiter) && set.size === 0) this.waiting.delete(jobId);
    waiter.resolve(result);
  }
}
