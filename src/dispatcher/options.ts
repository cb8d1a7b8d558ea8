import type { PolicyName } from '../scheduler/policies/index.js';
import type { JobStore } from '../store/job-store.js';
import type { Substrate } from '../substrates/substrate.js';
import type { RegistryOptions } from '../scheduler/registry.js';
import type { Logger } from '../logger.js';
import type { NodePoolOptions } from '../substrates/node-pool/node-pool.js';
import type { ReputationPolicy } from '../trust/reputation.js';
import type { BudgetConfig } from '../budget/budget-config.js';

/** Everything a Dispatcher can be told. Every field is optional: the defaults run on a laptop with no setup. */
export interface DispatcherOptions {
  /**
   * where blobs and the SQLite job store (`packetfs.db`) are kept; default
   * ./.data. Giving a data dir makes the store durable (SQLite) unless
   * `storeKind` says 'memory'; without one, jobs are kept in memory.
   */
  dataDir?: string;
  /** the embedded store: 'sqlite' (default when dataDir is given) or 'memory' (default without dataDir) */
  storeKind?: 'memory' | 'sqlite';
  /** SQLite commits and blob uploads: 'normal' survives a process crash, 'always' fsyncs each commit/upload before acknowledging it and survives power loss; default 'normal' */
  fsync?: 'normal' | 'always';
  /** a Redis URL selects the Redis store (wins over storeKind) */
  redisUrl?: string;
  /** Redis Cluster seed nodes (host:port) select the Redis store on a cluster (wins over redisUrl) */
  redisCluster?: string[];
  /** Redis store: hash-tagged shards of the queue; default 1, 3 on a cluster */
  redisShards?: number;
  /** Redis store: replicas a write must reach before it is acknowledged; default 0, 1 on a cluster */
  redisWaitReplicas?: number;
  /** an already built store (tests, embedding); wins over redisUrl */
  store?: JobStore;
  /** scheduling policy; default 'queue-aware' (DEFAULT_POLICY) */
  policy?: PolicyName;
  /** USD the operator would pay to finish a job one hour sooner; default policy only */
  valueOfTimeUsdPerHour?: number;
  /** lets data_url reach private, loopback and link-local addresses (off by default: SSRF) */
  allowPrivateDataUrls?: boolean;
  /** host names or CIDRs data_url may reach even though they are private */
  allowHosts?: string[];
  /** local worker threads; default: one per core */
  threads?: number;
  /** extra substrates; the local substrate is always added unless `local: false` */
  substrates?: Substrate[];
  local?: boolean;
  /** runs the `browser` and `volunteer` substrates over nodes connecting to /v1/nodes/ws; default true */
  nodes?: boolean;
  /** when set, nodes must present it (or a join token) to register (never the API token: nodes are untrusted) */
  nodeToken?: string;
  /** nodes must present the node token or a join token; default: only when nodeToken is set (serve: whenever the API has a token, unless open_volunteers) */
  requireNodeCredential?: boolean;
  /** secret join tokens are signed with, shared by a deployment's dispatchers; default: a random key kept in dataDir */
  joinSecret?: string;
  /** jobs that do not say are private (never sent to browsers or volunteers); default false */
  privateByDefault?: boolean;
  /** jobs may ask verify: "none" (node results accepted unchecked); default false */
  allowUnverified?: boolean;
  /** known-answer canaries per real job sent to trusted nodes; default 0.01 */
  canaryRate?: number;
  /** how fast nodes earn trust and how often trusted nodes are checked (docs/trust.md) */
  reputation?: Partial<ReputationPolicy>;
  /** node pool tuning: slow start, speculative re-runs, timeouts */
  nodePool?: Pick<NodePoolOptions, 'initialGrant' | 'speculativeMinMs' | 'speculativeFactor' | 'hoardTimeoutMs' | 'registerTimeoutMs'>;
  /** submit answers 503 QUEUE_FULL past this many unfinished jobs; default 1,000,000 */
  maxQueuedJobs?: number;
  /** ... or past this much inline data held by unfinished jobs (stores that track it); default 256 MiB */
  maxQueuedBytes?: number;
  /** heartbeat interval announced to nodes; a node silent for 2.5 intervals is dropped; default 5000 */
  nodeHeartbeatMs?: number;
  /** origins under which this dispatcher's /v1/blobs are reachable (data_url to them reads the blob store directly) */
  publicOrigins?: string[];
  /** upper bound of one data window, bytes; default 256 MiB */
  maxWindowBytes?: number;
  /** upper bound of one stored blob, bytes; default 1 GiB */
  maxBlobBytes?: number;
  /** how long results are kept; default 24 h */
  resultTtlMs?: number;
  /** most results kept, the oldest dropped first; default 100,000 in memory, 1,000,000 in SQLite */
  maxResults?: number;
  /** most bytes of results kept, the oldest dropped first; default 256 MiB in memory, 1 GiB in SQLite */
  maxResultBytes?: number;
  /** how many metric records the store keeps; default 10,000 */
  metricsLimit?: number;
  /** most leases taken per store round trip; default 1024 */
  batchSize?: number;
  /** lease (visibility timeout) of taken jobs; default 30 s */
  leaseMs?: number;
  /** health probe interval; default 5 s */
  probeIntervalMs?: number;
  /** each substrate's circuit breaker: failures in a row that open it (default 5) and how long it stays open before a trial batch (default 5 s) */
  breaker?: RegistryOptions['breaker'];
  /** how often the dashboard feed takes a snapshot (and publishes it to a shared store); default 1 s */
  dashboardIntervalMs?: number;
  /** spend limits per UTC day and month, global and per substrate (docs/costs.md); default none */
  budget?: BudgetConfig;
  /** how often the spend totals shared through the store are read; default 1000 ms */
  budgetRefreshMs?: number;
  /** how long a job waiting for budget stays deferred before it is looked at again; default 5000 ms */
  budgetRecheckMs?: number;
  logger?: Logger;
}
