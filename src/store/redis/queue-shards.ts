/**
 * Sharding one queue over several hash tags, so its work spreads over the
 * masters of a Redis Cluster (docs/redis-store.md, "Redis Cluster").
 *
 * Every key of a shard carries the shard's hash tag, so each shard is one
 * slot and its scripts stay single-slot. A job lives in the shard its job_id
 * hashes to (FNV-1a), so get, cancel, complete and idempotent enqueue find it
 * without a lookup, and every dispatcher computes the same shard.
 *
 * With one shard the tag is the queue name itself (`{default}`: the layout
 * of a standalone Redis). With more, shard i's tag is `<queue>:<i>-<k>`, the
 * smallest k whose slot falls into the i-th of `shards` equal slot ranges:
 * `redis-cli --cluster create` gives each master an equal, contiguous range,
 * so with as many shards as masters (or a multiple) each master gets its share.
 */
export const MAX_SHARDS = 64;

export function shardTags(queueName: string, shards: number): string[] {
  if (shards === 1) return [queueName];
  const tags: string[] = [];
  for (let i = 0; i < shards; i++) {
    const low = Math.floor((i * 16384) / shards);
    const high = Math.floor(((i + 1) * 16384) / shards);
    for (let k = 0; ; k++) {
      const tag = `${queueName}:${i}-${k}`;
      const slot = keySlot(tag);
      if (slot >= low && slot < high) {
        tags.push(tag);
        break;
      }
    }
  }
  return tags;
}

/** The shard of a job: FNV-1a of its id, modulo the shard count. */
export function shardOf(jobId: string, shards: number): number {
  if (shards === 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < jobId.length; i++) {
    h ^= jobId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/** Redis Cluster's slot of a key: CRC16 (XMODEM) of its hash tag (or of the whole key without one), mod 16384. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  const bytes = Buffer.from(key, 'utf8');
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
