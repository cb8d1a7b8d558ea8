/**
 * What one dispatcher reports about itself once a second (DispatcherSnapshot)
 * and what the dashboard stream sends (DashboardFrame: the snapshots of every
 * live dispatcher merged). Plain JSON, runtime-neutral: the server builds
 * them, the page and `packetfs top` read them.
 */

import type { SplitProgress } from '../split/split-progress.js';

export type { SplitProgress };

/** Seconds of throughput history kept and charted (15 minutes). */
export const SERIES_SECONDS = 900;
/** Recent failures kept per dispatcher and shown. */
export const MAX_FAILURES = 20;
/** Top nodes kept per dispatcher and shown, by each ordering. */
export const MAX_TOP_NODES = 10;
/** Running split jobs shown with their progress. */
export const MAX_SPLITS = 20;

export interface QueueCounts {
  queued: number;
  delayed: number;
  running: number;
}

export interface Totals {
  succeeded: number;
  failed: number;
  cost_usd: number;
  bytes: number;
}

export interface SubstrateRow {
  name: string;
  type: string;
  healthy: boolean;
  circuit: 'closed' | 'open' | 'half_open';
  in_flight: number;
  measured_latency_ms: number | null;
  score: number | null;
  succeeded: number;
  failed: number;
  cost_usd: number;
  last_error: string | null;
}

export interface NodeRow {
  node_id: string;
  kind: string;
  slots: number;
  in_flight: number;
  completed: number;
  /** bytes per second, null before any measurement */
  throughput_bps: number | null;
  latency_ms: number | null;
  /** from node verification (issue 8) when the pool reports it, else null */
  reputation: number | null;
  state: string | null;
}

export interface FailureRow {
  job_id: string;
  code: string;
  message: string;
  substrate: string | null;
  attempts: number;
  at: string;
}


/** Spend and budget as the dispatcher's ledger sees them (docs/costs.md): the shared store's totals. */
export interface BudgetRow {
  spent_month_usd: number;
  spent_today_usd: number;
  daily_usd: number | null;
  monthly_usd: number | null;
  /** the least left of any limit (global or per substrate); null without limits */
  remaining_usd: number | null;
  /** the highest alert level any limit reached: 0, 80 or 100 */
  alert: 0 | 80 | 100;
  forecast_usd: number;
}

export interface SplitRow {
  job_id: string;
  progress: SplitProgress;
}

export interface DispatcherSnapshot {
  v: 1;
  id: string;
  host: string;
  pid: number;
  started_at: string;
  /** epoch ms when taken */
  at: number;
  ready: boolean;
  draining: boolean;
  store: string;
  /** the store can lose acknowledged jobs on a restart (JobStore.durabilityWarning); absent when not */
  store_warning?: string;
  depth: QueueCounts | null;
  totals: Totals;
  /** epoch second of the last entry of the series (the current, partial second) */
  series_end: number;
  /** jobs finished per second, oldest first, SERIES_SECONDS entries */
  series_succeeded: number[];
  series_failed: number[];
  /** latency (submit to result) counts of the last minute, in latency-histogram buckets */
  latency: number[];
  substrates: SubstrateRow[];
  nodes_by_kind: Record<string, number>;
  top_by_throughput: NodeRow[];
  top_by_reputation: NodeRow[];
  failures: FailureRow[];
  splits: SplitRow[];
  /** absent in snapshots of dispatchers from before budgets */
  budget?: BudgetRow;
}

export interface DispatcherRow {
  id: string;
  host: string;
  pid: number;
  started_at: string;
  ready: boolean;
  draining: boolean;
  store: string;
  store_warning?: string;
  /** how old its last snapshot is, ms */
  age_ms: number;
  jobs_per_second: number;
  in_flight: number;
}

export interface DashboardFrame {
  at: number;
  dispatchers: DispatcherRow[];
  depth: QueueCounts | null;
  totals: Totals;
  jobs_per_second: number;
  latency_p50_ms: number | null;
  latency_p99_ms: number | null;
  series_end: number;
  series_succeeded: number[];
  series_failed: number[];
  substrates: SubstrateRow[];
  nodes_connected: number;
  nodes_by_kind: Record<string, number>;
  top_by_throughput: NodeRow[];
  top_by_reputation: NodeRow[];
  failures: FailureRow[];
  splits: SplitRow[];
  /** from the newest snapshot that has one (spend is shared through the store) */
  budget: BudgetRow | null;
}
