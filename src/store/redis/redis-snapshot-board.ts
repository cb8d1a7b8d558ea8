import type { RedisClient } from './redis-connection.js';
import type { SnapshotBoard } from '../snapshot-board.js';

/** At most this many dispatchers are read back (a bound on one read, not on the deployment). */
const MAX_PEERS = 64;

/**
 * The snapshot board in Redis: each snapshot is a string key with its own
 * expiry (`SET … PX ttl`), so a dispatcher that dies vanishes on its own,
 * whatever the clocks of the others say; a sorted set of dispatcher ids
 * (scored by the publisher's expiry time, for bounded reads) says which keys
 * to look at. Ids whose key has expired are pruned from the set when read.
 * Both keys carry the queue's hash tag, so they sit in one Cluster slot.
 */
export class RedisSnapshotBoard implements SnapshotBoard {
  constructor(private readonly redis: RedisClient, private readonly keys: { index: string; snapshot(id: string): string }) {}

  async publish(dispatcherId: string, snapshot: string, ttlMs: number): Promise<void> {
    await this.redis.multi()
      .set(this.keys.snapshot(dispatcherId), snapshot, 'PX', ttlMs)
      .zadd(this.keys.index, Date.now() + ttlMs, dispatcherId)
      .exec();
  }

  async readAll(): Promise<string[]> {
    const ids = await this.redis.zrevrange(this.keys.index, 0, MAX_PEERS - 1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.keys.snapshot(id)));
    const gone = ids.filter((_, i) => values[i] === null);
    if (gone.length > 0) await this.redis.zrem(this.keys.index, ...gone);
    return values.filter((v): v is string => v !== null);
  }

  async withdraw(dispatcherId: string): Promise<void> {
    await this.redis.multi().del(this.keys.snapshot(dispatcherId)).zrem(this.keys.index, dispatcherId).exec();
  }
}
