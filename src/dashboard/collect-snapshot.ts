import { hostname } from 'node:os';
import type { SubstrateView } from '../dispatcher/api.js';
import type { JobStore } from '../store/job-store.js';
import type { LiveStats } from './live-stats.js';
import type { CostsReport } from '../budget/costs-report.js';
import { MAX_SPLITS, MAX_TOP_NODES, type BudgetRow, type DispatcherSnapshot, type NodeRow, type SplitProgress, type SplitRow } from './snapshot.js';

/** The node fields read here; `reputation` and `state` appear once node verification reports them. */
export interface NodeViewLike {
  node_id: string;
  kind: string;
  slots: number;
  in_flight: number;
  completed: number;
  latency_ms: number | null;
  throughput_bytes_per_ms: number | null;
  reputation?: unknown;
  state?: unknown;
}

/** Split jobs this process coordinates, with their live progress (the split coordinator's ProgressBoard). */
export interface SplitProgressSource {
  entries(): Iterable<[string, SplitProgress]>;
}

export interface SnapshotSources {
  id: string;
  /** absent while this dispatcher runs no split coordinator */
  splits?: SplitProgressSource;
  startedAt: string;
  stats: LiveStats;
  store: JobStore;
  substrates(): SubstrateView[];
  /** the costs report (GET /v1/costs); absent: no budget row */
  budget?: () => CostsReport;
  nodes(): NodeViewLike[];
  ready(): Promise<boolean>;
  draining(): boolean;
}

function storeWarning(store: JobStore): { store_warning?: string } {
  const warning = store.durabilityWarning?.() ?? null;
  return warning === null ? {} : { store_warning: warning.slice(0, 512) };
}

/** One dispatcher's snapshot: its LiveStats plus what the registry, the node pool and the store say now. */
export async function collectSnapshot(src: SnapshotSources): Promise<DispatcherSnapshot> {
  const [depth, ready] = await Promise.all([src.store.depth().catch(() => null), src.ready().catch(() => false)]);
  const series = src.stats.series();
  const nodes = src.nodes().map(nodeRow);
  const nodesByKind: Record<string, number> = {};
  for (const n of nodes) nodesByKind[n.kind] = (nodesByKind[n.kind] ?? 0) + 1;
  const top = (key: (n: NodeRow) => number | null) => nodes.filter((n) => key(n) !== null)
    .sort((a, b) => key(b)! - key(a)!).slice(0, MAX_TOP_NODES);
  return {
    v: 1,
    id: src.id,
    host: hostname(),
    pid: process.pid,
    started_at: src.startedAt,
    at: Date.now(),
    ready,
    draining: src.draining(),
    store: src.store.kind,
    ...storeWarning(src.store),
    depth,
    totals: { ...src.stats.totals },
    series_end: series.end,
    series_succeeded: series.succeeded,
    series_failed: series.failed,
    latency: src.stats.latencyCounts(),
    substrates: src.substrates().map((v) => {
      const done = src.stats.perSubstrate.get(v.name);
      return {
        name: v.name, type: v.type, healthy: v.healthy, circuit: v.circuit, in_flight: v.in_flight,
        measured_latency_ms: v.measured_latency_ms, score: v.score,
        succeeded: done?.succeeded ?? 0, failed: done?.failed ?? 0, cost_usd: done?.cost_usd ?? 0,
        last_error: v.last_error === null ? null : v.last_error.slice(0, 300),
      };
    }),
    nodes_by_kind: nodesByKind,
    top_by_throughput: top((n) => n.throughput_bps),
    top_by_reputation: top((n) => n.reputation),
    failures: src.stats.recentFailures(),
    splits: splitRows(src.splits),
    ...(src.budget === undefined ? {} : { budget: budgetRow(src.budget()) }),
  };
}

function budgetRow(costs: CostsReport): BudgetRow {
  const limits = costs.budget?.limits ?? [];
  return {
    spent_month_usd: costs.spent_usd.total,
    spent_today_usd: costs.spent_usd.today.total,
    daily_usd: costs.budget?.daily_usd ?? null,
    monthly_usd: costs.budget?.monthly_usd ?? null,
    remaining_usd: limits.length === 0 ? null : Math.min(...limits.map((l) => l.remaining_usd)),
    alert: limits.reduce<0 | 80 | 100>((max, l) => (l.alert > max ? l.alert : max), 0),
    forecast_usd: costs.forecast_usd,
  };
}

function nodeRow(v: NodeViewLike): NodeRow {
  const reputation = typeof v.reputation === 'number' && Number.isFinite(v.reputation) ? v.reputation : null;
  return {
    node_id: v.node_id, kind: v.kind, slots: v.slots, in_flight: v.in_flight, completed: v.completed,
    throughput_bps: v.throughput_bytes_per_ms === null ? null : v.throughput_bytes_per_ms * 1000,
    latency_ms: v.latency_ms, reputation, state: typeof v.state === 'string' ? v.state.slice(0, 32) : null,
  };
}

function splitRows(source: SplitProgressSource | undefined): SplitRow[] {
  const rows: SplitRow[] = [];
  if (source === undefined) return rows;
  for (const [job_id, progress] of source.entries()) {
    // a split job still queued has no windows yet: it is not running
    if (progress.windows_total === 0) continue;
    rows.push({ job_id, progress: { ...progress } });
    if (rows.length === MAX_SPLITS) break;
  }
  return rows;
}
