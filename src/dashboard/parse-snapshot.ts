import { LATENCY_BUCKETS } from './latency-histogram.js';
import {
  MAX_FAILURES, MAX_SPLITS, MAX_TOP_NODES, SERIES_SECONDS,
  type BudgetRow, type DispatcherSnapshot, type FailureRow, type NodeRow, type QueueCounts, type SplitProgress, type SubstrateRow, type Totals,
} from './snapshot.js';

/** A snapshot longer than this is not even parsed. */
export const MAX_SNAPSHOT_CHARS = 512 * 1024;
const MAX_SUBSTRATES = 64;
const MAX_KINDS = 8;

/**
 * Reads a snapshot another dispatcher wrote into the shared store. The store
 * is shared, so its entries are input like any other: every field is
 * checked for type and bounds, and an entry that fails any check is dropped
 * whole (the reason is returned for the log) rather than half-trusted.
 */
export function parseSnapshot(text: string): { ok: true; snapshot: DispatcherSnapshot } | { ok: false; reason: string } {
  try {
    if (text.length > MAX_SNAPSHOT_CHARS) throw new Invalid('', `over ${MAX_SNAPSHOT_CHARS} characters`);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new Invalid('', 'not JSON');
    }
    return { ok: true, snapshot: snapshotOf(obj(raw, '')) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, reason: `${err.path || 'snapshot'}: ${err.message}` };
    throw err;
  }
}

class Invalid extends Error {
  constructor(readonly path: string, message: string) { super(message); }
}

type Obj = Record<string, unknown>;

function snapshotOf(o: Obj): DispatcherSnapshot {
  if (o.v !== 1) throw new Invalid('v', 'unknown version');
  return {
    v: 1,
    id: str(o.id, 'id', 128),
    host: str(o.host, 'host', 256),
    pid: int(o.pid, 'pid'),
    started_at: str(o.started_at, 'started_at', 64),
    at: int(o.at, 'at'),
    ready: bool(o.ready, 'ready'),
    draining: bool(o.draining, 'draining'),
    store: str(o.store, 'store', 32),
    ...(o.store_warning === undefined ? {} : { store_warning: str(o.store_warning, 'store_warning', 512) }),
    depth: o.depth === null ? null : depthOf(obj(o.depth, 'depth')),
    totals: totalsOf(obj(o.totals, 'totals')),
    series_end: int(o.series_end, 'series_end'),
    series_succeeded: counts(o.series_succeeded, 'series_succeeded', SERIES_SECONDS),
    series_failed: counts(o.series_failed, 'series_failed', SERIES_SECONDS),
    latency: counts(o.latency, 'latency', LATENCY_BUCKETS),
    substrates: list(o.substrates, 'substrates', MAX_SUBSTRATES, substrateOf),
    nodes_by_kind: kindsOf(obj(o.nodes_by_kind, 'nodes_by_kind')),
    top_by_throughput: list(o.top_by_throughput, 'top_by_throughput', MAX_TOP_NODES, nodeOf),
    top_by_reputation: list(o.top_by_reputation, 'top_by_reputation', MAX_TOP_NODES, nodeOf),
    failures: list(o.failures, 'failures', MAX_FAILURES, failureOf),
    splits: list(o.splits, 'splits', MAX_SPLITS, (v, p) => {
      const s = obj(v, p);
      return { job_id: str(s.job_id, `${p}.job_id`, 128), progress: progressOf(s.progress, `${p}.progress`) };
    }),
    ...(o.budget === undefined ? {} : { budget: budgetOf(obj(o.budget, 'budget')) }),
  };
}

function budgetOf(o: Obj): BudgetRow {
  if (o.alert !== 0 && o.alert !== 80 && o.alert !== 100) throw new Invalid('budget.alert', 'not 0, 80 or 100');
  return {
    spent_month_usd: num(o.spent_month_usd, 'budget.spent_month_usd'), spent_today_usd: num(o.spent_today_usd, 'budget.spent_today_usd'),
    daily_usd: numOrNull(o.daily_usd, 'budget.daily_usd'), monthly_usd: numOrNull(o.monthly_usd, 'budget.monthly_usd'),
    remaining_usd: numOrNull(o.remaining_usd, 'budget.remaining_usd'), alert: o.alert, forecast_usd: num(o.forecast_usd, 'budget.forecast_usd'),
  };
}

function depthOf(o: Obj): QueueCounts {
  return { queued: int(o.queued, 'depth.queued'), delayed: int(o.delayed, 'depth.delayed'), running: int(o.running, 'depth.running') };
}

function totalsOf(o: Obj): Totals {
  return { succeeded: int(o.succeeded, 'totals.succeeded'), failed: int(o.failed, 'totals.failed'), cost_usd: num(o.cost_usd, 'totals.cost_usd'), bytes: num(o.bytes, 'totals.bytes') };
}

function substrateOf(v: unknown, p: string): SubstrateRow {
  const o = obj(v, p);
  const circuit = o.circuit;
  if (circuit !== 'closed' && circuit !== 'open' && circuit !== 'half_open') throw new Invalid(`${p}.circuit`, 'unknown circuit state');
  return {
    name: str(o.name, `${p}.name`, 128), type: str(o.type, `${p}.type`, 64), healthy: bool(o.healthy, `${p}.healthy`), circuit,
    in_flight: int(o.in_flight, `${p}.in_flight`), measured_latency_ms: numOrNull(o.measured_latency_ms, `${p}.measured_latency_ms`),
    score: numOrNull(o.score, `${p}.score`, -Number.MAX_VALUE), succeeded: int(o.succeeded, `${p}.succeeded`), failed: int(o.failed, `${p}.failed`),
    cost_usd: num(o.cost_usd, `${p}.cost_usd`), last_error: o.last_error === null ? null : str(o.last_error, `${p}.last_error`, 1000),
  };
}

export function nodeOf(v: unknown, p: string): NodeRow {
  const o = obj(v, p);
  return {
    node_id: str(o.node_id, `${p}.node_id`, 128), kind: str(o.kind, `${p}.kind`, 32), slots: int(o.slots, `${p}.slots`),
    in_flight: int(o.in_flight, `${p}.in_flight`), completed: int(o.completed, `${p}.completed`),
    throughput_bps: numOrNull(o.throughput_bps, `${p}.throughput_bps`), latency_ms: numOrNull(o.latency_ms, `${p}.latency_ms`),
    reputation: numOrNull(o.reputation, `${p}.reputation`, -Number.MAX_VALUE), state: o.state === null ? null : str(o.state, `${p}.state`, 32),
  };
}

function failureOf(v: unknown, p: string): FailureRow {
  const o = obj(v, p);
  return {
    job_id: str(o.job_id, `${p}.job_id`, 128), code: str(o.code, `${p}.code`, 64), message: str(o.message, `${p}.message`, 1000),
    substrate: o.substrate === null ? null : str(o.substrate, `${p}.substrate`, 128), attempts: int(o.attempts, `${p}.attempts`),
    at: str(o.at, `${p}.at`, 64),
  };
}

/** The `progress` object of a split parent (GET /v1/jobs/:id); throws Invalid when it is not one. */
function progressOf(v: unknown, p: string): SplitProgress {
  const o = obj(v, p);
  return {
    windows_total: int(o.windows_total, `${p}.windows_total`), windows_done: int(o.windows_done, `${p}.windows_done`),
    windows_failed: int(o.windows_failed, `${p}.windows_failed`), bytes_total: num(o.bytes_total, `${p}.bytes_total`),
    bytes_done: num(o.bytes_done, `${p}.bytes_done`),
  };
}

/** A job view's `progress` when it is a well-formed split progress object, else null. */
export function splitProgressOf(value: unknown): SplitProgress | null {
  try {
    return progressOf(value, 'progress');
  } catch (err) {
    if (err instanceof Invalid) return null;
    throw err;
  }
}

function kindsOf(o: Obj): Record<string, number> {
  const entries = Object.entries(o);
  if (entries.length > MAX_KINDS) throw new Invalid('nodes_by_kind', `more than ${MAX_KINDS} kinds`);
  const out: Record<string, number> = {};
  for (const [kind, n] of entries) out[str(kind, 'nodes_by_kind', 32)] = int(n, `nodes_by_kind.${kind}`);
  return out;
}

function obj(v: unknown, p: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Invalid(p, 'expected an object');
  return v as Obj;
}

function list<T>(v: unknown, p: string, max: number, item: (v: unknown, p: string) => T): T[] {
  if (!Array.isArray(v)) throw new Invalid(p, 'expected an array');
  if (v.length > max) throw new Invalid(p, `more than ${max} entries`);
  return v.map((x, i) => item(x, `${p}[${i}]`));
}

function counts(v: unknown, p: string, length: number): number[] {
  if (!Array.isArray(v) || v.length !== length) throw new Invalid(p, `expected ${length} counts`);
  return v.map((x, i) => num(x, `${p}[${i}]`));
}

function str(v: unknown, p: string, max: number): string {
  if (typeof v !== 'string' || v.length > max) throw new Invalid(p, `expected a string of at most ${max} characters`);
  return v;
}

function bool(v: unknown, p: string): boolean {
  if (typeof v !== 'boolean') throw new Invalid(p, 'expected a boolean');
  return v;
}

function num(v: unknown, p: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new Invalid(p, `expected a finite number >= ${min}`);
  return v;
}

function numOrNull(v: unknown, p: string, min = 0): number | null {
  return v === null ? null : num(v, p, min);
}

function int(v: unknown, p: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new Invalid(p, 'expected an integer >= 0');
  return v as number;
}
