import type { RedisClient } from './redis-connection.js';
import type { RedisKeys } from './redis-keys.js';
import { waitForReplicas } from './replication.js';

/**
 * The outbox: how results reach the original's keys without ever being lost.
 *
 * `packetfs:results:<id>` and `packetfs:metrics` keep the original's names, so
 * in Redis Cluster they live outside the queue's slot and no queue script may
 * write them. (On a standalone Redis, complete — the hot path — writes them
 * itself unless the store runs with `outbox: true`.) Instead the script that
 * decides a terminal write (complete, cancel, take's lease expiry) files the
 * winners' result and metric JSON in the queue's outbox hash, atomically
 * with the decision. Right after it, in
 * one auto-pipelined round trip per node, deliver() copies them out — SET the result with
 * its TTL, LPUSH + LTRIM the metrics — publishes the ids for waiters, and
 * deletes the outbox field last.
 *
 * If the process dies (or Redis goes away) between the script and that
 * delivery, the field stays; after outboxStaleMs any dispatcher's maintenance
 * reclaims it (reclaim-outbox-1.lua hands each field to one caller) and
 * delivers it again. Re-delivering a result is harmless (same SET). The
 * metric LPUSH is not idempotent, so a delivery cut off after its LPUSH but
 * before its HDEL would count that batch's metrics twice: the trade-off of
 * keys that cannot share a transaction, kept to one pipelined write.
 */
export interface OutboxItem {
  id: string;
  /** result record JSON */
  record: string;
  /** metric record JSON */
  metric: string;
}

/** The JSON one item takes inside an outbox field (lua/includes/job-records.lua writes the same shape). */
export function outboxItemJson(item: OutboxItem): string {
  return `{"id":${JSON.stringify(item.id)},"r":${item.record},"m":${item.metric}}`;
}

export function parseOutboxValue(value: string): OutboxItem[] {
  const parsed = JSON.parse(value) as { id: string; r: unknown; m: unknown }[];
  return parsed.map((p) => ({ id: p.id, record: JSON.stringify(p.r), metric: JSON.stringify(p.m) }));
}

/** One filed outbox entry: the shard's outbox hash and the field. */
export interface OutboxField {
  outbox: string;
  field: string;
}

export interface DeliveryOptions {
  resultTtlMs: number;
  metricsLimit: number;
  /** replicas each written result must reach before the outbox field is dropped (Redis Cluster failover); 0: none */
  replicas: number;
  waitTimeoutMs: number;
  /** told when a master has fewer replicas than `replicas` (see waitForReplicas) */
  onDegraded?: (node: string, connected: number) => void;
}

/**
 * Copies outbox items to the original's keys (metrics in the items' order),
 * announces them, then drops the fields they were filed under (one per
 * shard involved). The result keys are spread over the cluster's slots,
 * so these are single-key commands sent together (auto-pipelined per node),
 * not one pipeline. With `replicas`, the field is dropped only once the
 * results have reached that many replicas: a master that dies before then
 * leaves the field, and outbox recovery writes the results again.
 */
export async function deliverOutbox(redis: RedisClient, keys: RedisKeys, fields: readonly OutboxField[], items: OutboxItem[], opts: DeliveryOptions): Promise<void> {
  const writes: Promise<unknown>[] = items.map((item) => redis.set(keys.result(item.id), item.record, 'PX', opts.resultTtlMs));
  if (opts.metricsLimit > 0 && items.length > 0) {
    // chunked: one LPUSH per few thousand keeps the argument spread well inside V8's limits
    for (let i = 0; i < items.length; i += 4096) writes.push(redis.lpush(keys.metrics, ...items.slice(i, i + 4096).map((it) => it.metric)));
    writes.push(redis.ltrim(keys.metrics, 0, opts.metricsLimit - 1));
  }
  await Promise.all(writes);
  await waitForReplicas(redis, [...items.map((item) => keys.result(item.id)), keys.metrics], opts.replicas, opts.waitTimeoutMs, opts.onDegraded);
  await Promise.all([
    ...fields.map(({ outbox, field }) => redis.hdel(outbox, field)),
    items.length > 0 ? redis.publish(keys.done, JSON.stringify(items.map((i) => i.id))) : undefined,
  ]);
}
