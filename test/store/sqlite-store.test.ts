import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketFSError } from '../../src/errors.js';
import type { JobSpec, ResultRecord } from '../../src/job/types.js';
import type { Completion, Lease } from '../../src/store/job-store.js';
import { MemoryJobStore } from '../../src/store/memory/memory-store.js';
import { SqliteJobStore } from '../../src/store/sqlite/sqlite-store.js';
import { storeInfo } from '../../src/store/sqlite/store-file.js';
import { metricOf } from '../../src/store/terminal-records.js';
import { eventually } from '../helpers/eventually.js';

/** What the conformance suite cannot see: restarts, the lock, and bounded retention (SQLite and memory). */
const root = mkdtempSync(join(tmpdir(), 'packetfs-sqlite-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `d${n++}`);

function spec(jobId: string, over: Partial<JobSpec> = {}): JobSpec {
  return {
    job_id: jobId,
    program: { ops: [{ op: 'xor', imm: 7 }], single: false, data: 'AAE=', offset: 0, length: null },
    required_memory_mb: 128, required_duration_s: 1, requires_gpu: false, requires_state: false,
    priority: 0, timeout_s: 60, created_at: '2025-01-01T00:00:00.000Z', metadata: {}, substrates: null,
    max_attempts: 3, ...over,
  };
}

function done(lease: Lease): Completion {
  const result: ResultRecord = {
    job_id: lease.job.job_id, status: 'succeeded', success: true, substrate: 'local', result: [{ xor: 7, bytes: 2 }],
    exec_time_ms: 0.1, queue_time_ms: 0.2, bytes_processed: 2, cost_usd: 0, attempts: lease.attempt, error: null,
    completed_at: '2025-01-01T00:00:01.000Z',
  };
  return { lease, result, metric: metricOf(result) };
}

describe('SqliteJobStore across restarts', () => {
  it('reopening rebuilds the queue: order, delays, results; jobs that were running are queued again', async () => {
    const dir = freshDir();
    let now = Date.UTC(2025, 0, 1);
    const first = SqliteJobStore.open(dir, { now: () => now });
    await first.enqueue([spec('low', { priority: -1 }), spec('a'), spec('b'), spec('high', { priority: 5 }), spec('late'), spec('c')]);
    const [high, a, b] = await first.take(3, 60_000);
    assert.deepEqual([high, a, b].map((l) => l!.job.job_id), ['high', 'a', 'b']);
    await first.complete([done(high!)]);
    await first.retryLater([{ lease: b!, error: { attempt: 1, substrate: 'local', code: 'SUBSTRATE_FAILED', message: 'x', at: '2025-01-01T00:00:00.000Z' }, delayMs: 10_000 }]);
    assert.equal(await first.cancel('late'), 'cancelled');
    // `a` is still leased when the process "dies"
    await first.close();

    const second = SqliteJobStore.open(dir, { now: () => now });
    try {
      assert.deepEqual(await second.depth(), { queued: 3, delayed: 1, running: 0, inline_bytes: 4 * 4 }, 'inline data of the 4 live jobs, counted from the file');
      assert.equal((await second.getResult('high'))?.status, 'succeeded');
      assert.equal((await second.get('late'))?.status, 'cancelled');
      const again = await second.take(10, 60_000);
      assert.deepEqual(again.map((l) => [l.job.job_id, l.attempt]), [['a', 1], ['c', 1], ['low', 1]]);
      assert.deepEqual(again[0]!.job, spec('a'));
      now += 10_001;
      const [retried] = await second.take(10, 60_000);
      assert.equal(retried?.job.job_id, 'b');
      assert.equal(retried?.attempt, 2);
      assert.equal(retried?.errors.length, 1);
      assert.deepEqual(await second.enqueue([spec('high'), spec('d')]), [
        { job_id: 'high', created: false, status: 'succeeded' }, { job_id: 'd', created: true, status: 'queued' },
      ]);
    } finally {
      await second.close();
    }
  });

  it('jobs read back from their rows (nothing cached after a reopen) come out whole, in lane order, skipping the gaps left by finished, cancelled and running jobs', async () => {
    const dir = freshDir();
    const first = SqliteJobStore.open(dir);
    const specs: JobSpec[] = [];
    for (let i = 0; i < 120; i++) {
      specs.push(spec(`g${i}`, { priority: i % 3 === 0 ? 2 : 0, metadata: { i }, substrates: i % 5 === 0 ? ['local'] : null, timeout_s: 10 + i }));
    }
    await first.enqueue(specs);
    // leave holes of several sizes among both lanes: finished, cancelled, and (at close) still leased
    const taken = await first.take(7, 60_000);
    await first.complete(taken.slice(0, 4).map(done));
    for (const i of [50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 77, 100]) assert.equal(await first.cancel(`g${i}`), 'cancelled');
    await first.close();
    const gone = new Set([...taken.map((l) => l.job.job_id).slice(0, 4), ...[50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 77, 100].map((i) => `g${i}`)]);
    const second = SqliteJobStore.open(dir);
    try {
      const leases = [...await second.take(30, 60_000), ...await second.take(1000, 60_000)];
      const expected = specs.filter((s) => !gone.has(s.job_id));
      // the high lane first, each lane in enqueue order
      expected.sort((x, y) => y.priority - x.priority);
      assert.deepEqual(leases.map((l) => l.job.job_id), expected.map((s) => s.job_id));
      for (const lease of leases) assert.deepEqual(lease.job, specs.find((s) => s.job_id === lease.job.job_id));
    } finally {
      await second.close();
    }
  });

  it('a second open of the same data dir is STORE_LOCKED until the first closes', async () => {
    const dir = freshDir();
    const first = SqliteJobStore.open(dir);
    assert.throws(() => SqliteJobStore.open(dir), (err: unknown) =>
      err instanceof PacketFSError && err.code === 'STORE_LOCKED' && err.path === 'data_dir');
    await first.close();
    const again = SqliteJobStore.open(dir);
    assert.equal(again.kind, 'sqlite');
    await again.close();
  });

  it('retention: the oldest results go first beyond maxResults and maxResultBytes; expired ones are deleted', async () => {
    const dir = freshDir();
    let now = Date.UTC(2025, 0, 1);
    const store = SqliteJobStore.open(dir, { now: () => now, maxResults: 100, resultTtlMs: 60_000 });
    try {
      for (let round = 0; round < 10; round++) {
        await store.enqueue(Array.from({ length: 50 }, (_, i) => spec(`r${round}-${i}`)));
        await store.complete((await store.take(50, 60_000)).map(done));
        now += 1;
      }
      await store.pruneNow();
      assert.equal(store.stats().results, 100);
      assert.equal(await store.getResult('r0-0'), null, 'the oldest result was dropped');
      assert.equal((await store.getResult('r9-49'))?.status, 'succeeded');
      assert.equal(storeInfo(dir, now).counts.succeeded, 100);
      now += 60_000;
      assert.equal(await store.pruneNow(), 100);
      assert.equal(storeInfo(dir, now).counts.succeeded, 0);
      assert.equal(store.stats().resultBytes, 0);
    } finally {
      await store.close();
    }
    const small = SqliteJobStore.open(freshDir(), { maxResultBytes: 2000 });
    try {
      await small.enqueue(Array.from({ length: 40 }, (_, i) => spec(`b${i}`)));
      await small.complete((await small.take(40, 60_000)).map(done));
      await small.pruneNow();
      assert.ok(small.stats().resultBytes <= 2000, `bytes ${small.stats().resultBytes}`);
      assert.ok(small.stats().results > 0);
      assert.equal((await small.getResult('b39'))?.status, 'succeeded');
      assert.equal(await small.getResult('b0'), null);
    } finally {
      await small.close();
    }
  });
});

describe('SQLite enqueue, many rows per statement', () => {
  it('ids already known, expired, running or repeated anywhere in a large batch get the outcomes one-by-one inserts gave', async () => {
    let now = Date.UTC(2025, 0, 1);
    const store = SqliteJobStore.open(freshDir(), { now: () => now, resultTtlMs: 1000 });
    try {
      await store.enqueue([spec('x')]);
      await store.complete((await store.take(1, 60_000)).map(done));
      now += 2000; // x's result has expired (not pruned yet): its id is free again
      await store.enqueue([spec('d'), spec('r'), spec('q')]);
      const [d, r] = await store.take(2, 60_000);
      await store.complete([done(d!)]);
      assert.equal(r?.job.job_id, 'r');
      // 70 jobs: two full statements of 32 rows, then 6 one by one; the known ids sit in all three parts
      const ids = Array.from({ length: 70 }, (_, i) => `new-${i}`);
      Object.assign(ids, { 3: 'd', 7: 'x', 20: 'r', 33: 'q', 40: 'new-2', 45: 'new-44', 65: 'd', 68: 'new-67' });
      const expected = ids.map((id, i) => {
        const status = id === 'd' ? 'succeeded' : id === 'r' ? 'running' : 'queued';
        const known = id === 'd' || id === 'r' || id === 'q' || ids.indexOf(id) < i;
        return { job_id: id, created: !known, status };
      });
      assert.deepEqual(await store.enqueue(ids.map((id) => spec(id))), expected);
      const taken = await store.take(100, 60_000);
      assert.deepEqual(taken.map((l) => l.job.job_id), ['q', ...expected.filter((o) => o.created).map((o) => o.job_id)]);
      assert.deepEqual(taken.find((l) => l.job.job_id === 'x')?.job, spec('x'));
    } finally {
      await store.close();
    }
  });
});

describe('SQLite file size at a steady state', () => {
  it('completions delete the oldest results beyond maxResults in their own commit, so freed pages are reused and the file stops growing', async () => {
    const dir = freshDir();
    // no timed pruning: only the completions' own deletes can keep the bound
    const store = SqliteJobStore.open(dir, { maxResults: 300, maintenanceMs: 3_600_000 });
    const file = new Database(join(dir, 'packetfs.db'), { readonly: true });
    const pages = () => file.pragma('page_count', { simple: true }) as number;
    try {
      let steady = 0;
      for (let round = 0; round < 24; round++) {
        await store.enqueue(Array.from({ length: 150 }, (_, i) => spec(`s${round}-${i}`)));
        await store.complete((await store.take(150, 60_000)).map(done));
        assert.ok(store.stats().results <= 300, `round ${round}: ${store.stats().results} results kept, bound 300`);
        // the bound is reached after round 1; the first deleted pages are reused from round 3 on, and with
        // 16 KiB pages the tree takes its last page at round 5 (page counts: 12 16 19 19 19 20 20 … 20)
        if (round === 6) steady = pages();
      }
      assert.equal(await store.getResult('s21-149'), null, 'only the newest 300 are kept');
      assert.equal((await store.getResult('s22-0'))?.status, 'succeeded');
      // 17 more rounds of 150 jobs (8 times the results kept): the file holds the same number of pages
      assert.ok(pages() <= steady, `${pages()} pages after 24 rounds, ${steady} after 7`);
    } finally {
      file.close();
      await store.close();
    }
  });
});

describe('SQLite schema migration', () => {
  it('a version 1 file (metrics in their own table) opens: results, metrics from the result rows, order kept', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const v1 = new Database(join(dir, 'packetfs.db'));
    v1.exec(`
      CREATE TABLE jobs (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, state INTEGER NOT NULL, done INTEGER NOT NULL, priority INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL, attempts INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, due_at INTEGER, created_at TEXT NOT NULL,
        substrates TEXT, spec TEXT, errors TEXT, result TEXT, bytes INTEGER NOT NULL DEFAULT 0, metric_seq INTEGER, inline INTEGER NOT NULL DEFAULT 0);
      CREATE UNIQUE INDEX jobs_id ON jobs(id);
      CREATE INDEX jobs_list ON jobs(done, seq);
      CREATE INDEX jobs_expiry ON jobs(due_at) WHERE done <> 0;
      CREATE TABLE metrics (seq INTEGER PRIMARY KEY, record TEXT NOT NULL);
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema_version', '1');
    `);
    const insert = v1.prepare('INSERT INTO jobs VALUES (?, ?, 3, 3, 0, 3, 1, 0, ?, ?, NULL, NULL, NULL, ?, ?, ?, 0)');
    const first = done({ job: spec('old'), attempt: 1, token: 'x', enqueuedAt: 0, errors: [] }).result;
    const second = { ...first, job_id: 'newer' };
    for (const [seq, r, metricSeq] of [[1, first, 7], [2, second, null]] as const) {
      insert.run(seq, r.job_id, Date.now() + 60_000, '2025-01-01T00:00:00.000Z', JSON.stringify(r), JSON.stringify(r).length, metricSeq);
    }
    v1.prepare('INSERT INTO jobs VALUES (3, ?, 0, 0, 0, 3, 0, 0, NULL, ?, NULL, ?, NULL, NULL, 0, NULL, 0)').run('live', '2025-01-01T00:00:00.000Z', JSON.stringify(spec('live')));
    v1.close();

    const store = SqliteJobStore.open(dir);
    try {
      assert.deepEqual(await store.getResult('old'), first);
      assert.deepEqual((await store.recentMetrics(10)).map((m) => m.job_id), ['newer', 'old'], 'finished without a metric row: placed after the others');
      const [lease] = await store.take(1, 60_000);
      assert.equal(lease?.job.job_id, 'live');
    } finally {
      await store.close();
    }
  });
});

describe('store info beside a running store', () => {
  it('shows the jobs the store has leased as running, and nothing running once it closes', async () => {
    const dir = freshDir();
    const store = SqliteJobStore.open(dir, { maintenanceMs: 10 });
    try {
      await store.enqueue([spec('a'), spec('b'), spec('c')]);
      await store.take(2, 60_000);
      // the store reports its leases on its maintenance tick: poll the file as `packetfs store info` would, bounded
      const info = await eventually('the store to report its leases', async () => {
        const now = storeInfo(dir);
        return now.counts.running === 2 ? now : undefined;
      });
      assert.deepEqual([info.counts.queued, info.counts.running], [1, 2]);
      assert.equal(info.dispatcher?.pid, process.pid);
      assert.equal(info.dispatcher?.running, 2);
    } finally {
      await store.close();
    }
    const after = storeInfo(dir);
    assert.equal(after.dispatcher, null, 'a closed store leaves no report');
    assert.deepEqual([after.counts.queued, after.counts.running], [3, 0], 'its leases ended with it: the jobs are queued');
  });
});

describe('MemoryJobStore retention', () => {
  it('keeps at most maxResults results and maxResultBytes (estimated), dropping the oldest first', async () => {
    const store = new MemoryJobStore({ maxResults: 3 });
    await store.enqueue(['a', 'b', 'c', 'd', 'e'].map((id) => spec(id)));
    await store.complete((await store.take(5, 60_000)).map(done));
    assert.deepEqual(store.retained.results, 3);
    assert.equal(await store.get('a'), null);
    assert.equal(await store.get('b'), null);
    assert.equal((await store.getResult('e'))?.status, 'succeeded');
    assert.deepEqual(await store.enqueue([spec('a')]), [{ job_id: 'a', created: true, status: 'queued' }], 'a dropped id is free again');
    await store.close();

    const bounded = new MemoryJobStore({ maxResultBytes: 5000 });
    for (let i = 0; i < 100; i++) {
      await bounded.enqueue([spec(`m${i}`)]);
      await bounded.complete((await bounded.take(1, 60_000)).map(done));
    }
    assert.ok(bounded.retained.bytes <= 5000 && bounded.retained.results > 0, JSON.stringify(bounded.retained));
    assert.equal((await bounded.getResult('m99'))?.status, 'succeeded');
    await bounded.close();
  });
});
