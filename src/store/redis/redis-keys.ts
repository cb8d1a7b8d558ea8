import type { JobStatus } from '../../job/types.js';

/**
 * Every Redis key the store touches, in one place.
 *
 * Queue keys share the hash tag `{<queue>}` (`packetfs:{default}:ready`…), so
 * one queue lives in one Redis Cluster slot and its Lua scripts may touch any
 * of them. The original dispatcher's keys (contracts §5) keep their exact names
 * and therefore sit in other slots: they are never touched by a queue script,
 * only by plain commands sent after it (see result-outbox.ts).
 *
 * The ingress bookkeeping keys take the original list's full name as their
 * hash tag (`{packetfs:jobs:queue}:processing:default`): a key whose tag is X
 * hashes to the same slot as the untagged key X, so the list and the keys it
 * is moved into can share one atomic script, in a cluster too.
 */
export interface RedisKeys {
  /** the 15 keys of every state-changing script, in the order of lua/includes/queue-keys.lua */
  queue: readonly string[];
  /** HASH job_id -> packed state (job-state.ts) */
  state: string;
  /** HASH job_id -> attempt errors JSON */
  errs: string;
  /** HASH job_id -> "<attempts>|<reason>" of a deferred job (defer-15.lua) */
  waits: string;
  /** LIST of finished jobs, oldest first (retention order) */
  finished: string;
  /** STRING: bytes of the result records of the jobs in `finished` */
  resultBytes: string;
  ready: string;
  delayed: string;
  leases: string;
  /** list() index of each status: queued and running share the active index */
  index: Record<JobStatus, string>;
  outbox: string;
  /** pub/sub channel announcing finished job ids (JSON array per message) */
  done: string;
  /** original: `<prefix>:results:<job_id>` */
  result(jobId: string): string;
  /** original: per-job metric records, newest first */
  metrics: string;
  /** original: the list jobs are LPUSHed onto */
  ingress: string;
  /** dead letters of the ingress: entries no job_id could be read from */
  invalid: string;
  /** claimed ingress entries not yet processed (same slot as `ingress`) */
  ingressProcessing: string;
  /** counter numbering claimed ingress entries (same slot as `ingress`) */
  ingressSeq: string;
  /** dashboard: ids of dispatchers with a live snapshot (see redis-snapshot-board.ts) */
  snapshotIndex: string;
  /** dashboard: one dispatcher's live snapshot, expiring on its own */
  snapshot(dispatcherId: string): string;
  /** a split parent's progress, written by the dispatcher coordinating it (see redis-progress-shelf.ts) */
  progress(jobId: string): string;
  /** spend of one period (`d:YYYY-MM-DD`, `m:YYYY-MM`): hash substrate → USD (docs/costs.md) */
  spend(period: string): string;
}

/**
 * The keys of one queue shard: `tag` is the shard's hash tag (queue-shards.ts;
 * the queue name itself when the queue is not sharded). The original's keys,
 * the ingress keys and the done channel are the queue's, shared by its shards.
 */
export function redisKeys(prefix: string, queueName: string, tag = queueName): RedisKeys {
  const q = `${prefix}:{${tag}}:`;
  const active = `${q}idx:active`;
  const index: Record<JobStatus, string> = {
    queued: active,
    running: active,
    succeeded: `${q}idx:succeeded`,
    failed: `${q}idx:failed`,
    cancelled: `${q}idx:cancelled`,
  };
  const ready = `${q}ready`;
  const delayed = `${q}delayed`;
  const leases = `${q}leases`;
  const outbox = `${q}outbox`;
  const ingress = `${prefix}:jobs:queue`;
  const state = `${q}state`;
  const errs = `${q}errs`;
  const waits = `${q}waits`;
  const finished = `${q}finished`;
  const resultBytes = `${q}finished:bytes`;
  return {
    queue: [ready, delayed, leases, active, index.succeeded, index.failed, index.cancelled,
      `${q}seq`, outbox, finished, state, `${q}specs`, errs, resultBytes, waits],
    state,
    resultBytes,
    errs,
    waits,
    finished,
    ready,
    delayed,
    leases,
    index,
    outbox,
    done: `${prefix}:{${queueName}}:done`,
    result: (jobId) => `${prefix}:results:${jobId}`,
    metrics: `${prefix}:metrics`,
    ingress,
    invalid: `${prefix}:jobs:invalid`,
    ingressProcessing: `{${ingress}}:processing:${queueName}`,
    ingressSeq: `{${ingress}}:seq`,
    snapshotIndex: `${prefix}:{${queueName}}:dash:dispatchers`,
    snapshot: (dispatcherId) => `${prefix}:{${queueName}}:dash:snapshot:${dispatcherId}`,
    progress: (jobId) => `${prefix}:{${queueName}}:progress:${jobId}`,
    spend: (period) => `${prefix}:{${queueName}}:spend:${period}`,
  };
}
