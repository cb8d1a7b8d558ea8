import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PacketFSError } from '../../src/errors.js';
import type { JobSpec, ResultRecord } from '../../src/job/types.js';
import type { Lease } from '../../src/store/job-store.js';
import { MemoryJobStore } from '../../src/store/memory/memory-store.js';
import { Fifo } from '../../src/store/memory/fifo.js';
import { MinHeap } from '../../src/util/min-heap.js';
import { ReadyQueue } from '../../src/store/memory/ready-queue.js';
import { RingBuffer } from '../../src/store/memory/ring-buffer.js';
import { runStoreConformance } from './conformance.js';

/** A store on a simulated clock that starts at a fixed instant. */
function simulatedStore(opts: ConstructorParameters<typeof MemoryJobStore>[0] = {}) {
  let now = Date.UTC(2025, 0, 1);
  const store = new MemoryJobStore({ ...opts, now: () => now });
  return { store, advance: async (ms: number) => { now += ms; } };
}

runStoreConformance('memory (simulated clock)', async (opts) => {
  const { store, advance } = simulatedStore(opts);
  return { store, advance, cleanup: () => store.close() };
});

// the real clock again only for the tests time can change (conformance.ts, CLOCK_FREE)
runStoreConformance('memory (real time)', async (opts) => {
  const store = new MemoryJobStore(opts);
  return { store, cleanup: () => store.close() };
}, { clockOnly: true });

function spec(jobId: string, over: Partial<JobSpec> = {}): JobSpec {
  return {
    job_id: jobId,
    program: { ops: [{ op: 'xor', imm: 7 }], single: false, data: 'AAE=', offset: 0, length: null },
    required_memory_mb: 128, required_duration_s: 1, requires_gpu: false, requires_state: false,
    priority: 0, timeout_s: 60, created_at: '2025-01-01T00:00:00.000Z', metadata: {}, substrates: null,
    max_attempts: 3, ...over,
  };
}

function succeeded(lease: Lease): { lease: Lease; result: ResultRecord; metric: ReturnType<typeof metricOfResult> } {
  const result: ResultRecord = {
    job_id: lease.job.job_id, status: 'succeeded', success: true, substrate: 'local', result: [{ xor: 7, bytes: 2 }],
    exec_time_ms: 0.1, queue_time_ms: 0.2, bytes_processed: 2, cost_usd: 0, attempts: lease.attempt, error: null,
    completed_at: '2025-01-01T00:00:01.000Z',
  };
  return { lease, result, metric: metricOfResult(result) };
}

function metricOfResult(r: ResultRecord) {
  return {
    timestamp: r.completed_at, job_id: r.job_id, substrate: r.substrate, success: r.success, status: r.status,
    exec_time_ms: r.exec_time_ms, queue_time_ms: r.queue_time_ms, bytes_processed: r.bytes_processed,
    cost_usd: r.cost_usd, attempts: r.attempts,
  };
}

describe('MemoryJobStore (memory-only behaviour)', () => {
  it('close() settles pending waiters with null and later waits return null at once', async () => {
    const { store } = simulatedStore();
    await store.enqueue([spec('a')]);
    const waiting = store.waitForResult('a', 60_000);
    assert.equal(store.waiting, 1);
    await store.close();
    assert.equal(await waiting, null);
    assert.equal(store.waiting, 0);
    assert.equal(await store.waitForResult('a', 60_000), null);
  });

  it('a waiter that times out or is answered leaves nothing behind', async () => {
    const { store } = simulatedStore();
    await store.enqueue([spec('a'), spec('b')]);
    assert.equal(await store.waitForResult('a', 20), null);
    assert.equal(store.waiting, 0);
    const waiting = store.waitForResult('b', 60_000);
    assert.equal(store.waiting, 1);
    const [lease] = await store.take(1, 60_000);
    assert.equal(lease?.job.job_id, 'a');
    await store.cancel('b');
    assert.equal((await waiting)?.status, 'cancelled');
    assert.equal(store.waiting, 0);
    await store.close();
  });

  it('an expired result frees its job_id: enqueueing it again creates a new job', async () => {
    const { store, advance } = simulatedStore({ resultTtlMs: 1000 });
    await store.enqueue([spec('a')]);
    const [lease] = await store.take(1, 60_000);
    await store.complete([succeeded(lease!)]);
    await advance(999);
    assert.deepEqual(await store.enqueue([spec('a')]), [{ job_id: 'a', created: false, status: 'succeeded' }]);
    await advance(1);
    assert.deepEqual(await store.enqueue([spec('a')]), [{ job_id: 'a', created: true, status: 'queued' }]);
    const view = await store.get('a');
    assert.equal(view?.status, 'queued');
    assert.equal(view?.attempts, 0);
    assert.equal(view?.result, null);
    await store.close();
  });

  it('a lease past its expiry still completes while no take() has reclaimed it', async () => {
    const { store, advance } = simulatedStore();
    await store.enqueue([spec('a')]);
    const [lease] = await store.take(1, 100);
    await advance(500);
    assert.deepEqual(await store.complete([succeeded(lease!)]), [true]);
    assert.deepEqual(await store.take(10, 100), []);
    assert.equal((await store.get('a'))?.attempts, 1);
    await store.close();
  });

  it('a lease extended several times expires only after the last extension', async () => {
    const { store, advance } = simulatedStore();
    await store.enqueue([spec('a')]);
    const [lease] = await store.take(1, 100);
    for (let i = 0; i < 5; i++) {
      await advance(90);
      assert.deepEqual(await store.extendLeases([lease!], 100), [true]);
      assert.deepEqual(await store.take(1, 100), []);
    }
    await advance(100);
    const [again] = await store.take(1, 100);
    assert.equal(again?.attempt, 2);
    await store.close();
  });

  it('cancelling thousands of queued jobs leaves the rest in order', async () => {
    const { store } = simulatedStore();
    const specs = Array.from({ length: 6000 }, (_, i) => spec(`j${i}`));
    await store.enqueue(specs);
    for (let i = 0; i < 6000; i++) if (i % 3 !== 0) await store.cancel(`j${i}`);
    assert.deepEqual(await store.depth(), { queued: 2000, delayed: 0, running: 0, inline_bytes: 2000 * 4 });
    const leases = await store.take(10_000, 60_000);
    assert.deepEqual(leases.map((l) => l.job.job_id), specs.filter((_, i) => i % 3 === 0).map((s) => s.job_id));
    await store.close();
  });

  it('rejects bad options and list limits with INVALID_REQUEST naming the field', async () => {
    assert.throws(() => new MemoryJobStore({ resultTtlMs: -1 }), (err: unknown) =>
      err instanceof PacketFSError && err.code === 'INVALID_REQUEST' && err.path === 'resultTtlMs');
    assert.throws(() => new MemoryJobStore({ metricsLimit: Number.NaN }), (err: unknown) =>
      err instanceof PacketFSError && err.code === 'INVALID_REQUEST' && err.path === 'metricsLimit');
    const { store } = simulatedStore();
    for (const limit of [0, -1, 1.5]) {
      await assert.rejects(store.list({ status: 'queued', limit }), (err: unknown) =>
        err instanceof PacketFSError && err.code === 'INVALID_REQUEST' && err.path === 'limit');
    }
    await store.close();
  });

  it('metricsLimit 0 keeps no metrics', async () => {
    const { store } = simulatedStore({ metricsLimit: 0 });
    await store.enqueue([spec('a')]);
    const [lease] = await store.take(1, 60_000);
    assert.deepEqual(await store.complete([succeeded(lease!)]), [true]);
    assert.deepEqual(await store.recentMetrics(10), []);
    assert.equal(store.kind, 'memory');
    await store.close();
  });
});

describe('memory store building blocks', () => {
  it('Fifo keeps order across compactions', () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    let next = 0;
    // interleave pushes and shifts so the head passes the compaction threshold several times
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 3000; i++) fifo.push(next++);
      for (let i = 0; i < 2500; i++) out.push(fifo.shift() as number);
    }
    assert.equal(fifo.size, 5000);
    assert.equal(fifo.peek(), 25_000);
    while (fifo.size > 0) out.push(fifo.shift() as number);
    assert.deepEqual(out, Array.from({ length: 30_000 }, (_, i) => i));
    assert.equal(fifo.shift(), undefined);
    assert.equal(fifo.peek(), undefined);
    for (let i = 0; i < 10; i++) fifo.push(i);
    fifo.shift();
    fifo.retain((x) => x % 2 === 0);
    assert.deepEqual([fifo.shift(), fifo.shift(), fifo.shift(), fifo.shift(), fifo.shift()], [2, 4, 6, 8, undefined]);
  });

  it('MinHeap pops values in key order, ties included', () => {
    const heap = new MinHeap<string>();
    assert.equal(heap.peekKey(), Infinity);
    assert.equal(heap.pop(), undefined);
    const keys = [50, 3, 3, 99, 0, 42, 7, 7, 7, 1, 1000, 64, 2, 8, 5];
    for (const [i, k] of keys.entries()) heap.push(k, `${k}:${i}`);
    assert.equal(heap.size, keys.length);
    assert.equal(heap.peekKey(), 0);
    const popped: number[] = [];
    while (heap.size > 0) popped.push(Number((heap.pop() as string).split(':')[0]));
    assert.deepEqual(popped, [...keys].sort((a, b) => a - b));

    for (const [i, k] of keys.entries()) heap.push(k, `${k}:${i}`);
    heap.retain((v) => Number(v.split(':')[0]) % 2 === 1);
    const odd: number[] = [];
    while (heap.size > 0) odd.push(Number((heap.pop() as string).split(':')[0]));
    assert.deepEqual(odd, keys.filter((k) => k % 2 === 1).sort((a, b) => a - b));
  });

  it('ReadyQueue serves priorities high to low, FIFO within one, and skips removed items', () => {
    const removed = new Set<string>();
    const queue = new ReadyQueue<string>((x) => !removed.has(x));
    queue.push(0, 'a0');
    queue.push(5, 'b5');
    queue.push(-3, 'c-3');
    queue.push(5, 'd5');
    queue.push(0, 'e0');
    removed.add('d5');
    queue.noteRemoved(5);
    assert.deepEqual(queue.take(3), ['b5', 'a0', 'e0']);
    assert.deepEqual(queue.take(3), ['c-3']);
    assert.deepEqual(queue.take(3), []);
  });

  it('RingBuffer returns the newest items first, bounded by capacity', () => {
    const ring = new RingBuffer<number>(3);
    assert.deepEqual(ring.newest(5), []);
    ring.push(1);
    ring.push(2);
    assert.deepEqual(ring.newest(5), [2, 1]);
    ring.push(3);
    ring.push(4);
    assert.deepEqual(ring.newest(5), [4, 3, 2]);
    assert.deepEqual(ring.newest(1), [4]);
    assert.equal(ring.size, 3);
  });
});
