import type { Cluster, Redis } from 'ioredis';
import { PacketFSError } from '../../errors.js';
import { keySlot } from './queue-shards.js';
import type { RedisClient } from './redis-connection.js';

/**
 * Acknowledged means replicated: WAIT until the writes this client sent to
 * the masters holding `keys` have reached `replicas` replicas each.
 *
 * WAIT applies to everything the *connection* wrote before it, and ioredis
 * keeps one connection per node, so WAIT sent on the node the script went to
 * covers the script. Redis replication stays asynchronous: WAIT does not
 * undo a write that did not reach enough replicas, it only lets the caller
 * withhold the acknowledgement. Fewer replicas than asked within timeoutMs,
 * while the master has that many connected, is STORE_UNAVAILABLE (HTTP 503:
 * the client retries with the same job_id, which enqueue ignores if the
 * first try was stored after all).
 *
 * A master that has fewer replicas connected than asked — typically a
 * replica just promoted after a failover, until another replica attaches —
 * acknowledges with the replicas it has (none: the write is on that one
 * master only), and `onDegraded` is told, so the operator sees it: refusing
 * every write until a replica is rebuilt would turn one failure into an outage.
 */
export async function waitForReplicas(redis: RedisClient, keys: readonly string[], replicas: number, timeoutMs: number,
  onDegraded: (node: string, connected: number) => void = () => {}): Promise<void> {
  if (replicas <= 0 || keys.length === 0) return;
  const nodes = redis.isCluster ? mastersOf(redis as Cluster, keys) : [redis as Redis];
  await Promise.all(nodes.map(async (node) => {
    const acked = await node.call('wait', replicas, timeoutMs) as number;
    if (acked >= replicas) return;
    const info = await node.info('replication');
    const connected = Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
    const name = `${node.options.host}:${node.options.port}`;
    if (connected < replicas) {
      onDegraded(name, connected);
      return;
    }
    throw new PacketFSError('STORE_UNAVAILABLE',
      `job store: the write reached ${acked} of ${replicas} replicas of Redis ${name} within ${timeoutMs} ms, so it is not acknowledged (retry with the same job_id)`);
  }));
}

/** The master connections serving the slots of `keys` (each once). */
function mastersOf(cluster: Cluster, keys: readonly string[]): Redis[] {
  const wanted = new Set<string>();
  for (const key of keys) {
    const owner = cluster.slots[keySlot(key)]?.[0];
    if (owner === undefined) throw new PacketFSError('STORE_UNAVAILABLE', `job store: no Redis Cluster master serves the slot of ${key} right now`);
    wanted.add(owner);
  }
  const masters = cluster.nodes('master').filter((node) => wanted.has(`${node.options.host}:${node.options.port}`));
  if (masters.length !== wanted.size) throw new PacketFSError('STORE_UNAVAILABLE', 'job store: a Redis Cluster master is not connected right now');
  return masters;
}
