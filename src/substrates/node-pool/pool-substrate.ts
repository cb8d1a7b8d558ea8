import type { Capabilities } from '../../scheduler/capabilities.js';
import type { ExecOutcome, ExecRequest, HealthReport, Substrate } from '../substrate.js';
import type { NodePool } from './node-pool.js';
import type { NodeVerifier } from './node-verifier.js';
import type { NodeKind } from '../../node-protocol/index.js';

export interface PoolSubstrateOptions {
  name: string;
  type: string;
  kind: NodeKind;
  /** declared until measurements exist (the original table says 200 ms for browsers) */
  latencyMs: number;
}

/** Longest job a volunteer node is trusted with: they come and go. */
const MAX_DURATION_S = 3600;
/** Declared with no node connected, so pinned jobs wait for one instead of failing NO_SUBSTRATE. */
const NOMINAL_MEMORY_MB = 512;

/**
 * A substrate over the nodes of one kind in a NodePool: untrusted, free.
 * Its batches go through the NodeVerifier, so every result it returns has
 * been checked as docs/trust.md describes.
 * Capacity is the free slots of its connected nodes, so with none connected
 * the scheduler simply finds no room; latency is the pool's moving average
 * of assignment round trips.
 */
export class PoolSubstrate implements Substrate {
  readonly name: string;
  readonly type: string;

  constructor(private readonly pool: NodePool, private readonly verifier: NodeVerifier, private readonly opts: PoolSubstrateOptions) {
    this.name = opts.name;
    this.type = opts.type;
  }

  capabilities(): Capabilities {
    const stats = this.pool.stats(this.opts.kind);
    return {
      max_concurrent_jobs: stats.announced,
      max_memory_mb: stats.maxMemoryMb ?? NOMINAL_MEMORY_MB,
      max_duration_seconds: MAX_DURATION_S,
      supports_gpu: false,
      supports_persistent_state: false,
      cost_per_hour_usd: 0,
      latency_ms: stats.latencyMs ?? this.opts.latencyMs,
      available_slots: Math.max(0, stats.free),
      pricing: { model: 'free' },
      trust: 'untrusted',
    };
  }

  execute(batch: ExecRequest[]): Promise<ExecOutcome[]> {
    return this.verifier.execute(this.opts.kind, batch);
  }

  /** Always healthy: no node connected is a capacity of zero, not a fault. */
  async probe(): Promise<HealthReport> {
    const stats = this.pool.stats(this.opts.kind);
    const report: HealthReport = { healthy: true, detail: `${stats.nodes} ${this.opts.kind} nodes connected, ${stats.free} of ${stats.slots} granted slots free (${stats.announced} announced)` };
    if (stats.latencyMs !== null) report.latency_ms = stats.latencyMs;
    return report;
  }

  /** The pool is shared by both node substrates; the dispatcher closes it once. */
  async close(): Promise<void> {}
}
