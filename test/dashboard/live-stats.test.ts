import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResultRecord } from '../../src/job/types.js';
import { LiveStats } from '../../src/dashboard/live-stats.js';
import { bucketOf, bucketBoundMs, LATENCY_BUCKETS, quantileMs } from '../../src/dashboard/latency-histogram.js';
import { mergeSnapshots, rate } from '../../src/dashboard/merge-snapshots.js';
import { parseSnapshot } from '../../src/dashboard/parse-snapshot.js';
import { SseParser } from '../../src/dashboard/sse-parser.js';
import { SERIES_SECONDS, type DispatcherSnapshot } from '../../src/dashboard/snapshot.js';

function result(over: Partial<ResultRecord> = {}): ResultRecord {
  return {
    job_id: 'j', status: 'succeeded', success: true, substrate: 'local', result: null, exec_time_ms: 2, queue_time_ms: 1,
    bytes_processed: 10, cost_usd: 0.5, attempts: 1, error: null, completed_at: '2026-01-01T00:00:00.000Z', ...over,
  };
}

test('latency buckets: every latency lands in the bucket whose bound covers it, and quantiles read those bounds', () => {
  for (const ms of [0, 0.05, 0.1, 0.13, 1, 7.3, 100, 2500, 1e9]) {
    const b = bucketOf(ms);
    assert.ok(b >= 0 && b < LATENCY_BUCKETS);
    if (b < LATENCY_BUCKETS - 1) assert.ok(ms <= bucketBoundMs(b) * (1 + 1e-9), `${ms} <= bound of ${b}`);
    if (b > 0) assert.ok(ms > bucketBoundMs(b - 1), `${ms} > bound of ${b - 1}`);
  }
  const counts = new Array<number>(LATENCY_BUCKETS).fill(0);
  assert.equal(quantileMs(counts, 0.5), null);
  for (let i = 0; i < 99; i++) counts[bucketOf(5)]!++;
  counts[bucketOf(900)]!++;
  const p50 = quantileMs(counts, 0.5)!;
  const p99 = quantileMs(counts, 0.99)!;
  const p100 = quantileMs(counts, 1)!;
  assert.ok(p50 >= 5 && p50 < 5 * 1.25, String(p50));
  assert.ok(p99 >= 5 && p99 < 5 * 1.25, String(p99));
  assert.ok(p100 >= 900 && p100 < 900 * 1.25, String(p100));
});

test('LiveStats: totals, per-substrate counts, per-second series that age out, failures newest last', () => {
  let now = 1_000_000_000_000;
  const stats = new LiveStats(() => now);
  stats.record(result());
  stats.record(result({ status: 'failed', success: false, substrate: 'cloud', error: { code: 'TIMEOUT', message: 'slow' }, attempts: 3, job_id: 'f1' }));
  stats.record(result({ status: 'cancelled', success: false }));
  assert.deepEqual(stats.totals, { succeeded: 1, failed: 1, cost_usd: 1, bytes: 10 });
  assert.deepEqual(stats.perSubstrate.get('cloud'), { succeeded: 0, failed: 1, cost_usd: 0.5 });
  let series = stats.series();
  assert.equal(series.succeeded.length, SERIES_SECONDS);
  assert.equal(series.succeeded.at(-1), 1);
  assert.equal(series.failed.at(-1), 1);
  now += 3000;
  stats.record(result());
  series = stats.series();
  assert.deepEqual(series.succeeded.slice(-4), [1, 0, 0, 1]);
  assert.equal(series.end, Math.floor(now / 1000));
  assert.deepEqual(stats.recentFailures().map((f) => [f.job_id, f.code, f.attempts]), [['f1', 'TIMEOUT', 3]]);
  assert.equal(stats.latencyCounts().reduce((a, b) => a + b, 0), 3);
  // past the latency window and the series, everything recorded has aged out, totals stay
  now += (SERIES_SECONDS + 5) * 1000;
  assert.equal(stats.latencyCounts().reduce((a, b) => a + b, 0), 0);
  assert.equal(stats.series().succeeded.reduce((a, b) => a + b, 0), 0);
  assert.equal(stats.totals.succeeded, 2);
});

function snapshot(over: Partial<DispatcherSnapshot>): DispatcherSnapshot {
  const zeros = new Array<number>(SERIES_SECONDS).fill(0);
  return {
    v: 1, id: 'd1', host: 'h', pid: 1, started_at: '2026-01-01T00:00:00.000Z', at: 1000_000, ready: true, draining: false, store: 'redis',
    depth: { queued: 1, delayed: 2, running: 3 }, totals: { succeeded: 10, failed: 1, cost_usd: 0.25, bytes: 100 },
    series_end: 1000, series_succeeded: [...zeros], series_failed: [...zeros], latency: new Array<number>(LATENCY_BUCKETS).fill(0),
    substrates: [{ name: 'local', type: 'local', healthy: true, circuit: 'closed', in_flight: 2, measured_latency_ms: 3, score: 1, succeeded: 10, failed: 1, cost_usd: 0.25, last_error: null }],
    nodes_by_kind: { browser: 2 }, top_by_throughput: [], top_by_reputation: [], failures: [], splits: [], ...over,
  };
}

test('mergeSnapshots: counts add up, series align on their end second, the worst circuit shows, depth from the newest', () => {
  const a = snapshot({});
  a.series_succeeded[SERIES_SECONDS - 2] = 5;
  const b = snapshot({
    id: 'd2', at: 1001_000, series_end: 1001, depth: { queued: 9, delayed: 0, running: 0 },
    substrates: [{ ...a.substrates[0]!, circuit: 'open', healthy: false, in_flight: 1 }], nodes_by_kind: { browser: 1, node: 4 },
    failures: [{ job_id: 'x', code: 'TIMEOUT', message: '', substrate: 'local', attempts: 3, at: '2026-01-02T00:00:00.000Z' }],
  });
  b.series_succeeded[SERIES_SECONDS - 2] = 7;
  const frame = mergeSnapshots([a, b], 1001_500);
  assert.deepEqual(frame.totals, { succeeded: 20, failed: 2, cost_usd: 0.5, bytes: 200 });
  assert.equal(frame.series_end, 1001);
  // a's second 999 is one step further back than b's 1000
  assert.equal(frame.series_succeeded[SERIES_SECONDS - 3], 5);
  assert.equal(frame.series_succeeded[SERIES_SECONDS - 2], 7);
  assert.deepEqual(frame.depth, { queued: 9, delayed: 0, running: 0 });
  assert.equal(frame.nodes_connected, 7);
  assert.deepEqual(frame.substrates.map((s) => [s.name, s.healthy, s.circuit, s.in_flight, s.succeeded]), [['local', false, 'open', 3, 20]]);
  assert.deepEqual(frame.dispatchers.map((d) => d.id), ['d1', 'd2']);
  assert.equal(frame.failures[0]!.job_id, 'x');
  assert.equal(rate([0, 0, 5, 5, 5, 5, 5, 99], [0, 0, 0, 0, 0, 0, 5, 0]), 6);
});

test('parseSnapshot accepts what a dispatcher writes and drops anything malformed whole, saying where', () => {
  const good = snapshot({});
  const parsed = parseSnapshot(JSON.stringify(good));
  assert.equal(parsed.ok, true);
  assert.deepEqual(parsed.ok && parsed.snapshot, good);
  const bad: Array<[unknown, RegExp]> = [
    ['not json', /not JSON/],
    [{ ...good, v: 2 }, /^v:/],
    [{ ...good, series_succeeded: [1, 2] }, /^series_succeeded:/],
    [{ ...good, totals: { ...good.totals, succeeded: -1 } }, /^totals\.succeeded:/],
    [{ ...good, substrates: [{ ...good.substrates[0], circuit: 'weird' }] }, /^substrates\[0\]\.circuit:/],
    [{ ...good, failures: new Array(21).fill({ job_id: 'a', code: 'X', message: '', substrate: null, attempts: 1, at: '' }) }, /^failures:/],
    [{ ...good, id: 'x'.repeat(200) }, /^id:/],
  ];
  for (const [value, reason] of bad) {
    const r = parseSnapshot(typeof value === 'string' ? value : JSON.stringify(value));
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', reason);
  }
  assert.equal(parseSnapshot('x'.repeat(600 * 1024)).ok, false);
});

test('SseParser: events split anywhere across chunks, CRLF, comments and retry lines skipped, oversized events refused', () => {
  const seen: string[] = [];
  const parser = new SseParser((d) => seen.push(d), 64);
  const text = 'retry: 2000\r\n\r\n: comment\ndata: {"a":1}\n\ndata:x\ndata: y\r\n\r\n';
  for (const ch of text) parser.push(ch);
  assert.deepEqual(seen, ['{"a":1}', 'x\ny']);
  assert.throws(() => parser.push(`data: ${'z'.repeat(100)}`), RangeError);
});
