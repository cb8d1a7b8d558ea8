import { addCounts, LATENCY_BUCKETS, quantileMs } from './latency-histogram.js';
import {
  MAX_FAILURES, MAX_SPLITS, MAX_TOP_NODES, SERIES_SECONDS,
  type DashboardFrame, type DispatcherRow, type DispatcherSnapshot, type NodeRow, type SplitRow, type SubstrateRow,
} from './snapshot.js';

/** Jobs per second is averaged over this many complete seconds (the current one is still filling). */
const RATE_SECONDS = 5;
const CIRCUIT_RANK: Record<SubstrateRow['circuit'], number> = { closed: 0, half_open: 1, open: 2 };

/**
 * One deployment-wide frame from the snapshots of every live dispatcher:
 * counts add up, series are aligned on their end second, latency histograms
 * add bucket by bucket before the percentiles are read, a substrate that
 * several dispatchers run shows its worst health and circuit, and the queue
 * depth (one shared store) comes from the newest snapshot.
 */
export function mergeSnapshots(snapshots: readonly DispatcherSnapshot[], now: number): DashboardFrame {
  const seriesEnd = snapshots.reduce((max, s) => Math.max(max, s.series_end), Math.floor(now / 1000));
  const succeeded = new Array<number>(SERIES_SECONDS).fill(0);
  const failed = new Array<number>(SERIES_SECONDS).fill(0);
  const latency = new Array<number>(LATENCY_BUCKETS).fill(0);
  const totals = { succeeded: 0, failed: 0, cost_usd: 0, bytes: 0 };
  const nodesByKind: Record<string, number> = {};
  const substrates = new Map<string, SubstrateRow>();
  const dispatchers: DispatcherRow[] = [];
  let newest: DispatcherSnapshot | null = null;
  let budget: DispatcherSnapshot | null = null;
  for (const s of snapshots) {
    if (s.budget !== undefined && (budget === null || s.at > budget.at)) budget = s;
    const shift = seriesEnd - s.series_end;
    for (let i = shift; i < SERIES_SECONDS; i++) {
      succeeded[i - shift]! += s.series_succeeded[i]!;
      failed[i - shift]! += s.series_failed[i]!;
    }
    addCounts(latency, s.latency);
    totals.succeeded += s.totals.succeeded;
    totals.failed += s.totals.failed;
    totals.cost_usd += s.totals.cost_usd;
    totals.bytes += s.totals.bytes;
    for (const [kind, n] of Object.entries(s.nodes_by_kind)) nodesByKind[kind] = (nodesByKind[kind] ?? 0) + n;
    for (const row of s.substrates) mergeSubstrate(substrates, row);
    if (s.depth !== null && (newest === null || s.at > newest.at)) newest = s;
    dispatchers.push({
      id: s.id, host: s.host, pid: s.pid, started_at: s.started_at, ready: s.ready, draining: s.draining, store: s.store,
      ...(s.store_warning === undefined ? {} : { store_warning: s.store_warning }),
      age_ms: Math.max(0, now - s.at),
      jobs_per_second: rate(s.series_succeeded, s.series_failed),
      in_flight: s.substrates.reduce((sum, row) => sum + row.in_flight, 0),
    });
  }
  dispatchers.sort((a, b) => a.id.localeCompare(b.id));
  const all = <T>(pick: (s: DispatcherSnapshot) => T[]): T[] => snapshots.flatMap(pick);
  return {
    at: now,
    dispatchers,
    depth: newest?.depth ?? null,
    totals,
    jobs_per_second: rate(succeeded, failed),
    latency_p50_ms: quantileMs(latency, 0.5),
    latency_p99_ms: quantileMs(latency, 0.99),
    series_end: seriesEnd,
    series_succeeded: succeeded,
    series_failed: failed,
    substrates: [...substrates.values()].sort((a, b) => a.name.localeCompare(b.name)),
    nodes_connected: Object.values(nodesByKind).reduce((sum, n) => sum + n, 0),
    nodes_by_kind: nodesByKind,
    top_by_throughput: topNodes(all((s) => s.top_by_throughput), (n) => n.throughput_bps),
    top_by_reputation: topNodes(all((s) => s.top_by_reputation), (n) => n.reputation),
    failures: all((s) => s.failures).sort((a, b) => b.at.localeCompare(a.at)).slice(0, MAX_FAILURES),
    splits: uniqueSplits(all((s) => s.splits)),
    budget: budget?.budget ?? null,
  };
}

/** Jobs finished per second over the last RATE_SECONDS complete seconds of a series. */
export function rate(succeeded: readonly number[], failed: readonly number[]): number {
  let sum = 0;
  const last = succeeded.length - 2;
  for (let i = last; i > last - RATE_SECONDS && i >= 0; i--) sum += succeeded[i]! + failed[i]!;
  return sum / RATE_SECONDS;
}

function mergeSubstrate(into: Map<string, SubstrateRow>, row: SubstrateRow): void {
  const seen = into.get(row.name);
  if (seen === undefined) {
    into.set(row.name, { ...row });
    return;
  }
  seen.healthy &&= row.healthy;
  if (CIRCUIT_RANK[row.circuit] > CIRCUIT_RANK[seen.circuit]) seen.circuit = row.circuit;
  seen.in_flight += row.in_flight;
  seen.succeeded += row.succeeded;
  seen.failed += row.failed;
  seen.cost_usd += row.cost_usd;
  seen.measured_latency_ms = maxOrNull(seen.measured_latency_ms, row.measured_latency_ms);
  seen.score = maxOrNull(seen.score, row.score);
  seen.last_error ??= row.last_error;
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

function topNodes(nodes: NodeRow[], key: (n: NodeRow) => number | null): NodeRow[] {
  return nodes.filter((n) => key(n) !== null).sort((a, b) => key(b)! - key(a)!).slice(0, MAX_TOP_NODES);
}

function uniqueSplits(rows: SplitRow[]): SplitRow[] {
  const byId = new Map<string, SplitRow>();
  for (const row of rows) if (!byId.has(row.job_id)) byId.set(row.job_id, row);
  return [...byId.values()].slice(0, MAX_SPLITS);
}
