import type { Logger } from '../logger.js';
import type { SnapshotBoard } from '../store/snapshot-board.js';
import { mergeSnapshots } from './merge-snapshots.js';
import { parseSnapshot } from './parse-snapshot.js';
import type { DashboardFrame, DispatcherSnapshot } from './snapshot.js';

export interface LiveFeedOptions {
  id: string;
  collect(): Promise<DispatcherSnapshot>;
  /** the shared store's snapshot board; absent for a store only this process uses */
  board?: SnapshotBoard;
  intervalMs?: number;
  logger: Logger;
}

export const DEFAULT_FEED_INTERVAL_MS = 1000;
/** a published snapshot outlives a few missed ticks, then its dispatcher drops off the dashboard */
const SNAPSHOT_TTL_TICKS = 5;
const WARN_EVERY_MS = 60_000;

/**
 * The dashboard's live feed: once a tick it takes this dispatcher's snapshot,
 * publishes it to the store's board (when there is one) and reads the other
 * dispatchers' back, merges them into one frame, serialises it once and
 * hands the same text to every subscriber (each open page or `packetfs
 * top`), so five open pages cost one frame, not five.
 *
 * State: idle (no board, no subscribers: the timer runs but does nothing) or
 * active; a tick still running when the next is due makes that one skip
 * (a slow Redis never stacks ticks); closed is final.
 */
export class LiveFeed {
  readonly id: string;
  private readonly collect: () => Promise<DispatcherSnapshot>;
  private readonly board: SnapshotBoard | undefined;
  private readonly intervalMs: number;
  private readonly logger: Logger;
  private readonly subscribers = new Set<(text: string) => void>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private lastText: string | null = null;
  private lastWarnAt = 0;
  private closed = false;

  constructor(opts: LiveFeedOptions) {
    this.id = opts.id;
    this.collect = opts.collect;
    this.board = opts.board;
    this.intervalMs = opts.intervalMs ?? DEFAULT_FEED_INTERVAL_MS;
    this.logger = opts.logger;
  }

  start(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setInterval(() => { void this.tick(); }, this.intervalMs);
    this.timer.unref();
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * `send` gets each frame as one SSE event (`data: {...}\n\n`); the latest
   * frame at once if there is one, else a fresh one is taken now.
   * Returns the unsubscribe function.
   */
  subscribe(send: (text: string) => void): () => void {
    this.subscribers.add(send);
    if (this.lastText !== null) send(this.lastText);
    else void this.tick();
    return () => { this.subscribers.delete(send); };
  }

  /** A frame taken now (GET /v1/dashboard). */
  async frame(): Promise<DashboardFrame> {
    return mergeSnapshots(await this.gather(await this.collect()), Date.now());
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.subscribers.clear();
    await this.ticking;
    await this.board?.withdraw(this.id).catch(() => undefined);
  }

  private tick(): Promise<void> {
    if (this.ticking !== null || this.closed) return this.ticking ?? Promise.resolve();
    if (this.subscribers.size === 0 && this.board === undefined) {
      this.lastText = null;
      return Promise.resolve();
    }
    this.ticking = this.runTick().catch((err: unknown) => this.warn('dashboard_tick_failed', err))
      .finally(() => { this.ticking = null; });
    return this.ticking;
  }

  private async runTick(): Promise<void> {
    const snapshots = await this.gather(await this.collect());
    if (this.subscribers.size === 0 || this.closed) {
      this.lastText = null;
      return;
    }
    const text = `data: ${JSON.stringify(mergeSnapshots(snapshots, Date.now()))}\n\n`;
    this.lastText = text;
    for (const send of this.subscribers) send(text);
  }

  /** This snapshot plus, through the board, every other live dispatcher's (validated; bad entries dropped). */
  private async gather(local: DispatcherSnapshot): Promise<DispatcherSnapshot[]> {
    if (this.board === undefined) return [local];
    try {
      await this.board.publish(this.id, JSON.stringify(local), SNAPSHOT_TTL_TICKS * this.intervalMs);
      const snapshots = [local];
      for (const text of await this.board.readAll()) {
        const parsed = parseSnapshot(text);
        if (!parsed.ok) this.warn('dashboard_snapshot_invalid', parsed.reason);
        else if (parsed.snapshot.id !== this.id) snapshots.push(parsed.snapshot);
      }
      return snapshots;
    } catch (err) {
      // the store being down shows on the dashboard (this dispatcher not ready); the page keeps updating
      this.warn('dashboard_board_failed', err);
      return [local];
    }
  }

  private warn(event: string, err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.logger.warn({ event, error: err instanceof Error ? err.message : String(err) }, 'dashboard feed');
  }
}
