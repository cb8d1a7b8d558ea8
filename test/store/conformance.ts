import { describe, it as nodeIt } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PacketFSError, type ErrorCode } from '../../src/errors.js';
import type { AttemptError, JobSpec, MetricRecord, ResultRecord } from '../../src/job/types.js';
import type { Completion, JobStore, Lease, QueueDepth, StoreOptions } from '../../src/store/job-store.js';

/**
 * One suite for every JobStore (memory, redis): the contract in
 * src/store/job-store.ts, made precise where the comments leave room:
 *
 * - JobView.attempts counts attempts started, the running one included
 *   (0 while never taken; a lease's `attempt` equals it).
 * - depth().queued counts ready jobs only; jobs waiting out a retry delay are
 *   `delayed` (their status is still 'queued').
 * - A lease that expires records an AttemptError { attempt, substrate: null,
 *   code: 'LEASE_EXPIRED' }; on the job's last allowed attempt the job fails
 *   with a result whose error has that code, and a metric record is appended.
 *   Expired leases are reclaimed by take().
 * - cancel() writes a 'cancelled' result (error code 'CANCELLED', result null)
 *   and appends a metric record, like every other terminal write.
 * - list() pages are newest first by enqueue order (input order within one
 *   batch); the last page has next_cursor null even when it is full; a cursor
 *   the store did not issue is a PacketFSError INVALID_REQUEST at path 'cursor'.
 * - Once a result expires (resultTtlMs) the job is unknown: get, getResult null.
 *
 * Stores without an injectable clock give no `advance`: time-dependent tests
 * then wait real (short) durations, and only assert what holds however slow
 * the machine is, beyond the margins of those durations.
 */
export interface StoreHarness {
  store: JobStore;
  /** moves the store's clock forward; absent for stores on real time */
  advance?: (ms: number) => Promise<void>;
  cleanup: () => Promise<void>;
}

export type MakeStore = (opts: StoreOptions & { now?: () => number }) => Promise<StoreHarness>;

/** Real-time durations; with `advance` the same numbers are simulated. */
const SHORT_LEASE_MS = 250;
const PAST_SHORT_LEASE_MS = 500;
const SHORT_DELAY_MS = 250;
const PAST_SHORT_DELAY_MS = 500;
const SHORT_TTL_MS = 400;
const PAST_SHORT_TTL_MS = 800;
const LONG_MS = 60_000;

/**
 * Tests whose outcome cannot depend on the store's clock: they never let time
 * pass, and every order they check is within one call. A store run on a
 * simulated clock and again on the real one (`clockOnly` on the second run)
 * runs these only once; a test not named here runs on both clocks.
 */
const CLOCK_FREE = new Set([
  'enqueue stores queued jobs that get() shows',
  'complete writes the result and the metric once',
  'amend replaces a succeeded result and its metric in place, and nothing else',
  'complete takes a batch and answers per item; a failed result makes the job failed',
  'extendLeases answers false for leases no longer held',
  'cancel removes a queued job',
  'cancel stops a running job; its later completion is ignored',
  'cancel leaves finished jobs unchanged and reports unknown ids',
  'list rejects a cursor it did not issue',
  'a batch of 10,000 jobs goes through enqueue, take and complete exactly once',
]);

export function runStoreConformance(name: string, makeStore: MakeStore, opts: { clockOnly?: boolean } = {}): void {
  const it = (title: string, fn: () => Promise<void>): void => {
    if (opts.clockOnly !== true || !CLOCK_FREE.has(title)) nodeIt(title, fn);
  };
  describe(name + ' store conformance', () => {
    interface Ctx {
      store: JobStore;
      /** lets `ms` pass on the store's clock */
      pass: (ms: number) => Promise<void>;
      /** true when the clock is simulated, so "not yet expired" is deterministic */
      simulated: boolean;
      /** a job id unique to this test run, so a shared Redis never mixes tests */
      id: (name: string | number) => string;
    }

    async function withStore(opts: StoreOptions, fn: (ctx: Ctx) => Promise<void>): Promise<void> {
      const harness = await makeStore(opts);
      const prefix = randomUUID().slice(0, 8);
      try {
        await fn({
          store: harness.store,
          pass: harness.advance ?? ((ms) => sleep(ms)),
          simulated: harness.advance !== undefined,
          id: (n) => `${prefix}-${n}`,
        });
      } finally {
        await harness.cleanup();
      }
    }

    it('enqueue stores queued jobs that get() shows', () => withStore({}, async ({ store, id }) => {
      const a = jobSpec(id('a'), { priority: 5, substrates: ['local'] });
      const b = jobSpec(id('b'));
      assert.deepEqual(await store.enqueue([a, b]), [
        { job_id: a.job_id, created: true, status: 'queued' },
        { job_id: b.job_id, created: true, status: 'queued' },
      ]);
      assert.deepEqual(await store.get(a.job_id), {
        job_id: a.job_id, status: 'queued', attempts: 0, priority: 5, created_at: a.created_at,
        substrates: ['local'], errors: [], result: null,
      });
      assert.equal(await store.get(id('unknown')), null);
      assert.equal(await store.getResult(a.job_id), null);
      assert.deepEqual(counts(await store.depth()), { queued: 2, delayed: 0, running: 0 });
      assert.equal(store.kind.length > 0, true);
      assert.equal(await store.ready(), true);
    }));

    it('enqueue is idempotent on job_id, across batches and within one batch', () => withStore({}, async ({ store, id }) => {
      const a = jobSpec(id('a'));
      const b = jobSpec(id('b'));
      const c = jobSpec(id('c'));
      await store.enqueue([a]);
      assert.deepEqual(await store.enqueue([{ ...a, priority: 100 }, b]), [
        { job_id: a.job_id, created: false, status: 'queued' },
        { job_id: b.job_id, created: true, status: 'queued' },
      ]);
      assert.deepEqual(await store.enqueue([c, c]), [
        { job_id: c.job_id, created: true, status: 'queued' },
        { job_id: c.job_id, created: false, status: 'queued' },
      ]);
      assert.equal((await store.get(a.job_id))?.priority, 0, 'the first submission wins');
      const leases = await store.take(10, LONG_MS);
      assert.deepEqual(leases.map((l) => l.job.job_id), [a.job_id, b.job_id, c.job_id]);
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 0, running: 3 });

      assert.deepEqual(await store.enqueue([a]), [{ job_id: a.job_id, created: false, status: 'running' }]);
      assert.deepEqual(await store.complete([success(leases[0]!)]), [true]);
      assert.deepEqual(await store.enqueue([a]), [{ job_id: a.job_id, created: false, status: 'succeeded' }]);
      assert.deepEqual(await store.take(10, LONG_MS), []);
    }));

    it('take hands out the highest priority first, then the oldest', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([
        jobSpec(id('low1'), { priority: -5 }),
        jobSpec(id('high1'), { priority: 10 }),
        jobSpec(id('mid1'), { priority: 0 }),
      ]);
      await store.enqueue([
        jobSpec(id('low2'), { priority: -5 }),
        jobSpec(id('max'), { priority: 1000 }),
        jobSpec(id('high2'), { priority: 10 }),
        jobSpec(id('min'), { priority: -1000 }),
        jobSpec(id('mid2'), { priority: 0 }),
      ]);
      const taken = [...await store.take(3, LONG_MS), ...await store.take(10, LONG_MS)];
      assert.deepEqual(taken.map((l) => l.job.job_id),
        ['max', 'high1', 'high2', 'mid1', 'mid2', 'low1', 'low2', 'min'].map(id));
    }));

    it('take respects max and never leases a job twice while its lease holds', () => withStore({}, async ({ store, id }) => {
      const specs = [0, 1, 2, 3, 4].map((i) => jobSpec(id(i)));
      await store.enqueue(specs);
      assert.deepEqual(await store.take(0, LONG_MS), []);
      const first = await store.take(2, LONG_MS);
      assert.equal(first.length, 2);
      const lease = first[0]!;
      assert.deepEqual(lease.job, specs[0]);
      assert.equal(lease.attempt, 1);
      assert.deepEqual(lease.errors, []);
      assert.equal(typeof lease.token, 'string');
      assert.equal(lease.token.length > 0, true);
      assert.equal(Number.isFinite(lease.enqueuedAt) && lease.enqueuedAt > 0, true);
      assert.deepEqual(await store.get(specs[0]!.job_id), {
        job_id: specs[0]!.job_id, status: 'running', attempts: 1, priority: 0, created_at: specs[0]!.created_at,
        substrates: null, errors: [], result: null,
      });

      const rest = await store.take(10, LONG_MS);
      assert.deepEqual(rest.map((l) => l.job.job_id), [2, 3, 4].map(id));
      assert.deepEqual(await store.take(10, LONG_MS), []);
      const tokens = new Set([...first, ...rest].map((l) => l.token));
      assert.equal(tokens.size, 5, 'every lease has its own token');
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 0, running: 5 });
    }));

    it('complete writes the result and the metric once', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([jobSpec(id('a'))]);
      const [lease] = await store.take(1, LONG_MS);
      const done = success(lease!);
      assert.deepEqual(await store.complete([done]), [true]);
      assert.deepEqual(await store.complete([done]), [false], 'second complete of the same lease');
      assert.deepEqual(await store.complete([success({ ...lease!, token: 'not-a-token' })]), [false]);
      assert.deepEqual(await store.complete([{ ...done, result: { ...done.result, exec_time_ms: 99 } }]), [false]);

      assert.deepEqual(await store.getResult(id('a')), done.result);
      assert.deepEqual(await store.get(id('a')), {
        job_id: id('a'), status: 'succeeded', attempts: 1, priority: 0, created_at: lease!.job.created_at,
        substrates: null, errors: [], result: done.result,
      });
      assert.deepEqual(await store.recentMetrics(10), [done.metric]);
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 0, running: 0 });
      assert.deepEqual(await store.take(10, LONG_MS), []);
    }));

    it('amend replaces a succeeded result and its metric in place, and nothing else', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([jobSpec(id('ok')), jobSpec(id('bad')), jobSpec(id('later'))]);
      const [ok, bad, later] = await store.take(3, LONG_MS);
      const done = success(ok!);
      const failed = failure(bad!);
      await store.complete([done, failed, success(later!)]);
      const fixed: ResultRecord = { ...done.result, result: { count: 3, bytes: 3 }, bytes_processed: 4, corrected_at: '2025-01-02T03:05:00.000Z',
        verification: { method: 'trusted', executions: 2, agreed: 1 } };
      const notFailed: ResultRecord = { ...failed.result, status: 'succeeded', success: true, result: { count: 1, bytes: 3 }, error: null };
      const unknown: ResultRecord = { ...fixed, job_id: id('nobody') };
      assert.deepEqual(await store.amend([
        { result: fixed, metric: metricFor(fixed) },
        { result: notFailed, metric: metricFor(notFailed) },
        { result: unknown, metric: metricFor(unknown) },
      ]), [true, false, false]);
      assert.deepEqual(await store.getResult(id('ok')), fixed);
      assert.deepEqual((await store.get(id('ok')))?.result, fixed);
      assert.deepEqual(await store.getResult(id('bad')), failed.result, 'a failed result is not amended');
      assert.equal(await store.getResult(id('nobody')), null);
      const metrics = await store.recentMetrics(10);
      assert.deepEqual(metrics.map((m) => m.job_id), [id('later'), id('bad'), id('ok')], 'the metric stays where it was');
      assert.deepEqual(metrics[2], metricFor(fixed));
      assert.deepEqual(await store.amend([]), []);
    }));

    it('complete takes a batch and answers per item; a failed result makes the job failed', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([jobSpec(id('ok')), jobSpec(id('bad'))]);
      const [ok, bad] = await store.take(2, LONG_MS);
      const failed = failure(bad!);
      assert.deepEqual(await store.complete([
        success(ok!), success({ ...ok!, token: 'forged' }), failed, success(ok!),
      ]), [true, false, true, false]);
      assert.equal((await store.get(id('ok')))?.status, 'succeeded');
      assert.equal((await store.get(id('bad')))?.status, 'failed');
      assert.deepEqual(await store.getResult(id('bad')), failed.result);
      assert.deepEqual((await store.recentMetrics(10)).map((m) => m.job_id), [id('bad'), id('ok')]);
    }));

    it('retryLater delays the job, records the error and counts the attempt', () => withStore({}, async ({ store, id, pass }) => {
      await store.enqueue([jobSpec(id('slow')), jobSpec(id('soon'))]);
      const [slow, soon] = await store.take(2, LONG_MS);
      const slowError = attemptError(1, 'first try broke');
      const soonError = attemptError(1, 'timed out', 'TIMEOUT');
      await store.retryLater([
        { lease: slow!, error: slowError, delayMs: LONG_MS },
        { lease: soon!, error: soonError, delayMs: SHORT_DELAY_MS },
      ]);
      assert.deepEqual(await store.get(id('soon')), {
        job_id: id('soon'), status: 'queued', attempts: 1, priority: 0, created_at: soon!.job.created_at,
        substrates: null, errors: [soonError], result: null,
      });
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 2, running: 0 });

      await pass(PAST_SHORT_DELAY_MS);
      const again = await store.take(10, LONG_MS);
      assert.equal(again.length, 1, 'only the job whose delay ended is ready');
      assert.equal(again[0]!.job.job_id, id('soon'));
      assert.equal(again[0]!.attempt, 2);
      assert.deepEqual(again[0]!.errors, [soonError]);
      assert.notEqual(again[0]!.token, soon!.token);
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 1, running: 1 });
    }));

    it('retryLater without delay requeues at once and errors accumulate', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([jobSpec(id('a'), { max_attempts: 5 })]);
      const [first] = await store.take(1, LONG_MS);
      const e1 = attemptError(1, 'lambda 503');
      await store.retryLater([{ lease: first!, error: e1, delayMs: 0 }]);
      const [second] = await store.take(1, LONG_MS);
      assert.equal(second!.attempt, 2);
      assert.deepEqual(second!.errors, [e1]);
      const e2 = { ...attemptError(2, 'browser left'), substrate: 'browser', node: 'n-1' };
      await store.retryLater([{ lease: second!, error: e2, delayMs: 0 }]);
      const [third] = await store.take(1, LONG_MS);
      assert.equal(third!.attempt, 3);
      assert.deepEqual(third!.errors, [e1, e2]);
      assert.deepEqual(await store.complete([success(third!)]), [true]);
      const view = await store.get(id('a'));
      assert.equal(view?.attempts, 3);
      assert.deepEqual(view?.errors, [e1, e2]);
      assert.equal((await store.getResult(id('a')))?.attempts, 3);
    }));

    it('defer gives a job back without counting the attempt and shows why it waits until taken again', () => withStore({}, async ({ store, id, pass }) => {
      await store.enqueue([jobSpec(id('a'), { max_attempts: 1 }), jobSpec(id('b'))]);
      const [a, b] = await store.take(2, LONG_MS);
      await store.defer([{ lease: a!, delayMs: SHORT_DELAY_MS, reason: 'budget spent' }, { lease: { ...b!, token: 'forged' }, delayMs: 0, reason: 'no' }]);
      const view = await store.get(id('a'));
      assert.equal(view?.status, 'queued');
      assert.equal(view?.attempts, 0, 'a deferred attempt is not counted');
      assert.equal(view?.waiting, 'budget spent');
      assert.equal((await store.get(id('b')))?.status, 'running', 'a stale lease is ignored');
      assert.equal((await store.get(id('b')))?.waiting, undefined);
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 1, running: 1 });
      await pass(PAST_SHORT_DELAY_MS);
      const [again] = await store.take(1, LONG_MS);
      assert.equal(again?.job.job_id, id('a'));
      assert.equal(again?.attempt, 1, 'its only allowed attempt is still there');
      assert.equal((await store.get(id('a')))?.waiting, undefined);
      await store.retryLater([{ lease: again!, error: attemptError(1, 'x'), delayMs: 0 }]);
      assert.equal((await store.get(id('a')))?.waiting, undefined, 'a later requeue is not a budget wait');
    }));

    it('addSpend totals spend per substrate for the UTC day and month, and spendTotals reads them', () => withStore({}, async ({ store }) => {
      const day1 = Date.parse('2031-03-30T23:59:00Z');
      const day2 = Date.parse('2031-03-31T00:01:00Z');
      const nextMonth = Date.parse('2031-04-01T00:00:00Z');
      await store.addSpend([
        { substrate: 'lambda', usd: 0.25, at: day1 },
        { substrate: 'lambda', usd: 0.5, at: day2 },
        { substrate: 'fly', usd: 1, at: day2 },
        { substrate: 'fly', usd: 0, at: day2 },
      ]);
      await store.addSpend([{ substrate: 'fly', usd: 0.125, at: day2 }, { substrate: 'fly', usd: 2, at: nextMonth }]);
      const t = await store.spendTotals(day2);
      assert.equal(t.day, '2031-03-31');
      assert.equal(t.month, '2031-03');
      assert.deepEqual(t.spent_day, { total: 1.625, by_substrate: { lambda: 0.5, fly: 1.125 } });
      assert.deepEqual(t.spent_month, { total: 1.875, by_substrate: { lambda: 0.75, fly: 1.125 } });
      assert.deepEqual((await store.spendTotals(nextMonth)).spent_month, { total: 2, by_substrate: { fly: 2 } });
      assert.deepEqual((await store.spendTotals(Date.parse('2031-05-01T00:00:00Z'))).spent_day, { total: 0, by_substrate: {} });
    }));

    it('retryLater ignores stale leases and finished jobs', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([jobSpec(id('a'))]);
      const [lease] = await store.take(1, LONG_MS);
      await store.retryLater([{ lease: { ...lease!, token: 'forged' }, error: attemptError(1, 'x'), delayMs: 0 }]);
      assert.equal((await store.get(id('a')))?.status, 'running');
      assert.deepEqual(await store.take(1, LONG_MS), []);
      await store.complete([success(lease!)]);
      await store.retryLater([{ lease: lease!, error: attemptError(1, 'late'), delayMs: 0 }]);
      const view = await store.get(id('a'));
      assert.equal(view?.status, 'succeeded');
      assert.deepEqual(view?.errors, []);
      assert.deepEqual(await store.take(1, LONG_MS), []);
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 0, running: 0 });
    }));

    it('an expired lease is handed out again with attempt + 1 and a LEASE_EXPIRED error', () => withStore({}, async ({ store, id, pass, simulated }) => {
      await store.enqueue([jobSpec(id('a'), { max_attempts: 3 })]);
      const [first] = await store.take(1, SHORT_LEASE_MS);
      if (simulated) {
        await pass(SHORT_LEASE_MS - 1);
        assert.deepEqual(await store.take(1, LONG_MS), [], 'lease still held');
        await pass(PAST_SHORT_LEASE_MS - SHORT_LEASE_MS + 1);
      } else {
        await pass(PAST_SHORT_LEASE_MS);
      }
      const [second] = await store.take(1, LONG_MS);
      assert.equal(second?.job.job_id, id('a'));
      assert.equal(second!.attempt, 2);
      assert.notEqual(second!.token, first!.token);
      assert.equal(second!.errors.length, 1);
      assertLeaseExpired(second!.errors[0]!, 1);
      const view = await store.get(id('a'));
      assert.equal(view?.status, 'running');
      assert.equal(view?.attempts, 2);

      // the first holder's lease is stale now
      assert.deepEqual(await store.complete([success(first!)]), [false]);
      assert.deepEqual(await store.extendLeases([first!], LONG_MS), [false]);
      await store.retryLater([{ lease: first!, error: attemptError(1, 'late'), delayMs: 0 }]);
      assert.equal((await store.get(id('a')))?.status, 'running');
      assert.deepEqual(await store.take(1, LONG_MS), []);

      const done = success(second!);
      assert.deepEqual(await store.complete([done]), [true]);
      assert.deepEqual(await store.getResult(id('a')), done.result);
    }));

    it('a lease expiring on the last allowed attempt fails the job', () => withStore({}, async ({ store, id, pass }) => {
      await store.enqueue([jobSpec(id('a'), { max_attempts: 1 }), jobSpec(id('b'), { max_attempts: 2 })]);
      const [a, b] = await store.take(2, SHORT_LEASE_MS);
      const waiting = store.waitForResult(id('a'), 10_000);
      await pass(PAST_SHORT_LEASE_MS);
      const retaken = await store.take(10, SHORT_LEASE_MS);
      assert.deepEqual(retaken.map((l) => [l.job.job_id, l.attempt]), [[id('b'), 2]]);

      const result = await waiting;
      assert.equal(result?.job_id, id('a'));
      assert.equal(result?.status, 'failed');
      assert.equal(result?.success, false);
      assert.equal(result?.attempts, 1);
      assert.equal(result?.result, null);
      assert.equal(result?.error?.code, 'LEASE_EXPIRED');
      assert.equal(result?.attempt_errors?.length, 1);
      assertLeaseExpired(result!.attempt_errors![0]!, 1);
      assert.deepEqual(await store.getResult(id('a')), result);
      const view = await store.get(id('a'));
      assert.equal(view?.status, 'failed');
      assert.equal(view?.attempts, 1);
      assert.deepEqual(view?.result, result);
      const [metric] = await store.recentMetrics(10);
      assert.equal(metric?.job_id, id('a'));
      assert.equal(metric?.status, 'failed');
      assert.equal(metric?.success, false);
      assert.equal(metric?.attempts, 1);
      assert.deepEqual(await store.complete([success(a!)]), [false]);

      // b expires again on its second and last attempt
      await pass(PAST_SHORT_LEASE_MS);
      assert.deepEqual(await store.take(10, LONG_MS), []);
      const bResult = await store.getResult(id('b'));
      assert.equal(bResult?.status, 'failed');
      assert.equal(bResult?.attempts, 2);
      assert.deepEqual(bResult?.attempt_errors?.map((e) => [e.attempt, e.code]), [[1, 'LEASE_EXPIRED'], [2, 'LEASE_EXPIRED']]);
      assert.deepEqual(await store.complete([success(b!)]), [false]);
      assert.deepEqual((await store.recentMetrics(10)).map((m) => m.job_id), [id('b'), id('a')]);
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 0, running: 0 });
    }));

    it('extendLeases keeps a lease past its first expiry', () => withStore({}, async ({ store, id, pass }) => {
      await store.enqueue([jobSpec(id('kept')), jobSpec(id('lapsed'))]);
      const [kept, lapsed] = await store.take(2, SHORT_LEASE_MS);
      assert.deepEqual(await store.extendLeases([kept!], LONG_MS), [true]);
      await pass(PAST_SHORT_LEASE_MS);
      const retaken = await store.take(10, LONG_MS);
      assert.deepEqual(retaken.map((l) => l.job.job_id), [id('lapsed')], 'only the lease not extended expired');
      assert.equal((await store.get(id('kept')))?.attempts, 1);
      assert.deepEqual(await store.complete([success(kept!), success(lapsed!)]), [true, false]);
    }));

    it('extendLeases answers false for leases no longer held', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([jobSpec(id('done')), jobSpec(id('cancelled')), jobSpec(id('held'))]);
      const [done, cancelled, held] = await store.take(3, LONG_MS);
      await store.complete([success(done!)]);
      await store.cancel(id('cancelled'));
      assert.deepEqual(await store.extendLeases([
        done!, cancelled!, held!, { ...held!, token: 'forged' },
      ], LONG_MS), [false, false, true, false]);
    }));

    it('cancel removes a queued job', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([jobSpec(id('a')), jobSpec(id('b'))]);
      assert.equal(await store.cancel(id('a')), 'cancelled');
      assert.deepEqual(counts(await store.depth()), { queued: 1, delayed: 0, running: 0 });
      const result = await store.getResult(id('a'));
      assertCancelled(result, id('a'), 0);
      const view = await store.get(id('a'));
      assert.equal(view?.status, 'cancelled');
      assert.deepEqual(view?.result, result);
      const [metric] = await store.recentMetrics(10);
      assert.equal(metric?.job_id, id('a'));
      assert.equal(metric?.status, 'cancelled');
      assert.equal(metric?.success, false);
      assert.deepEqual((await store.take(10, LONG_MS)).map((l) => l.job.job_id), [id('b')]);
      assert.equal(await store.cancel(id('a')), 'finished');
    }));

    it('cancel stops a running job; its later completion is ignored', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([jobSpec(id('a'))]);
      const [lease] = await store.take(1, LONG_MS);
      assert.equal(await store.cancel(id('a')), 'cancelled');
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 0, running: 0 });
      assert.deepEqual(await store.complete([success(lease!)]), [false]);
      await store.retryLater([{ lease: lease!, error: attemptError(1, 'late'), delayMs: 0 }]);
      assert.deepEqual(await store.take(10, LONG_MS), []);
      assertCancelled(await store.getResult(id('a')), id('a'), 1);
      assert.equal((await store.get(id('a')))?.status, 'cancelled');
      assert.deepEqual((await store.recentMetrics(10)).map((m) => [m.job_id, m.status]), [[id('a'), 'cancelled']]);
    }));

    it('cancel removes a job waiting out a retry delay', () => withStore({}, async ({ store, id, pass }) => {
      await store.enqueue([jobSpec(id('a'))]);
      const [lease] = await store.take(1, LONG_MS);
      const error = attemptError(1, 'broke');
      await store.retryLater([{ lease: lease!, error, delayMs: SHORT_DELAY_MS }]);
      assert.equal(await store.cancel(id('a')), 'cancelled');
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 0, running: 0 });
      await pass(PAST_SHORT_DELAY_MS);
      assert.deepEqual(await store.take(10, LONG_MS), []);
      const result = await store.getResult(id('a'));
      assertCancelled(result, id('a'), 1);
      assert.deepEqual(result?.attempt_errors, [error]);
    }));

    it('cancel leaves finished jobs unchanged and reports unknown ids', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([jobSpec(id('a'))]);
      const [lease] = await store.take(1, LONG_MS);
      const done = success(lease!);
      await store.complete([done]);
      assert.equal(await store.cancel(id('a')), 'finished');
      assert.deepEqual(await store.getResult(id('a')), done.result);
      assert.equal((await store.get(id('a')))?.status, 'succeeded');
      assert.equal(await store.cancel(id('nobody')), 'not_found');
      assert.equal(await store.get(id('nobody')), null);
      assert.equal((await store.recentMetrics(10)).length, 1);
    }));

    it('waitForResult resolves when the job completes', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([jobSpec(id('a'))]);
      const waiting = store.waitForResult(id('a'), 10_000);
      const alsoWaiting = store.waitForResult(id('a'), 10_000);
      const [lease] = await store.take(1, LONG_MS);
      const done = success(lease!);
      await store.complete([done]);
      assert.deepEqual(await waiting, done.result);
      assert.deepEqual(await alsoWaiting, done.result);
    }));

    it('waitForResult resolves when the job is cancelled', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([jobSpec(id('a'))]);
      const waiting = store.waitForResult(id('a'), 10_000);
      assert.equal(await store.cancel(id('a')), 'cancelled');
      assertCancelled(await waiting, id('a'), 0);
    }));

    it('waitForResult answers a finished job at once and null on timeout', () => withStore({}, async ({ store, id }) => {
      await store.enqueue([jobSpec(id('done')), jobSpec(id('pending'))]);
      const [lease] = await store.take(1, LONG_MS);
      const done = success(lease!);
      await store.complete([done]);
      assert.deepEqual(await store.waitForResult(id('done'), 10_000), done.result);
      assert.equal(await store.waitForResult(id('pending'), 60), null);
      assert.equal(await store.waitForResult(id('unknown'), 60), null);
      assert.equal((await store.get(id('pending')))?.status, 'queued');
    }));

    it('list returns one status, newest first, each job exactly once across pages', () => withStore({}, async ({ store, id }) => {
      const all = Array.from({ length: 25 }, (_, i) => jobSpec(id(i)));
      await store.enqueue(all.slice(0, 10));
      await store.enqueue(all.slice(10));
      const leases = await store.take(5, LONG_MS);
      await store.complete(leases.map((l) => success(l)));

      const queuedIds: string[] = [];
      const pageSizes: number[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const res = await store.list({ status: 'queued', limit: 7, ...(cursor === undefined ? {} : { cursor }) });
        pageSizes.push(res.jobs.length);
        for (const view of res.jobs) {
          assert.equal(view.status, 'queued');
          queuedIds.push(view.job_id);
        }
        if (res.next_cursor === null) break;
        cursor = res.next_cursor;
      }
      assert.deepEqual(pageSizes, [7, 7, 6]);
      assert.deepEqual(queuedIds, all.slice(5).map((j) => j.job_id).reverse());

      const succeeded = await store.list({ status: 'succeeded', limit: 10 });
      assert.deepEqual(succeeded.jobs.map((v) => v.job_id), [4, 3, 2, 1, 0].map(id));
      assert.equal(succeeded.next_cursor, null);
      assert.equal(succeeded.jobs[0]!.result?.status, 'succeeded');
      assert.deepEqual(await store.list({ status: 'running', limit: 10 }), { jobs: [], next_cursor: null });
      assert.deepEqual(await store.list({ status: 'failed', limit: 10 }), { jobs: [], next_cursor: null });
    }));

    it('list ends with next_cursor null, also when the last page is full', () => withStore({}, async ({ store, id }) => {
      const all = Array.from({ length: 20 }, (_, i) => jobSpec(id(i)));
      await store.enqueue(all);
      const expected = all.map((j) => j.job_id).reverse();
      for (const limit of [5, 20, 100]) {
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        for (;;) {
          const res = await store.list({ status: 'queued', limit, ...(cursor === undefined ? {} : { cursor }) });
          pages++;
          seen.push(...res.jobs.map((v) => v.job_id));
          if (res.next_cursor === null || pages > 10) break;
          cursor = res.next_cursor;
        }
        assert.deepEqual(seen, expected, `limit ${limit}`);
        assert.equal(pages, Math.ceil(20 / limit), `pages at limit ${limit}`);
      }
    }));

    it('list rejects a cursor it did not issue', () => withStore({}, async ({ store }) => {
      await assert.rejects(store.list({ status: 'queued', limit: 5, cursor: 'not a cursor!' }), (err: unknown) => {
        assert.ok(err instanceof PacketFSError);
        assert.equal(err.code, 'INVALID_REQUEST');
        assert.equal(err.path, 'cursor');
        return true;
      });
    }));

    it('recentMetrics is newest first and keeps at most metricsLimit records', () => withStore({ metricsLimit: 5 }, async ({ store, id }) => {
      const specs = Array.from({ length: 8 }, (_, i) => jobSpec(id(i)));
      await store.enqueue(specs);
      const leases = await store.take(8, LONG_MS);
      await store.complete(leases.slice(0, 3).map((l) => success(l)));
      await store.complete(leases.slice(3).map((l) => success(l)));
      const expected = leases.map((l) => success(l).metric).reverse();
      assert.deepEqual(await store.recentMetrics(100), expected.slice(0, 5));
      assert.deepEqual(await store.recentMetrics(2), expected.slice(0, 2));
      assert.deepEqual(await store.recentMetrics(0), []);
    }));

    it('depth counts ready, delayed and running jobs', () => withStore({}, async ({ store, id }) => {
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 0, running: 0 });
      await store.enqueue(['a', 'b', 'c', 'd'].map((n) => jobSpec(id(n))));
      const [a, b] = await store.take(2, LONG_MS);
      assert.deepEqual(counts(await store.depth()), { queued: 2, delayed: 0, running: 2 });
      await store.retryLater([{ lease: a!, error: attemptError(1, 'x'), delayMs: LONG_MS }]);
      assert.deepEqual(counts(await store.depth()), { queued: 2, delayed: 1, running: 1 });
      await store.cancel(id('c'));
      assert.deepEqual(counts(await store.depth()), { queued: 1, delayed: 1, running: 1 });
      await store.complete([success(b!)]);
      assert.deepEqual(counts(await store.depth()), { queued: 1, delayed: 1, running: 0 });
    }));

    it('results expire after resultTtlMs and the job is then unknown', () => withStore({ resultTtlMs: SHORT_TTL_MS }, async ({ store, id, pass }) => {
      await store.enqueue([jobSpec(id('a')), jobSpec(id('b')), jobSpec(id('queued'))]);
      const leases = await store.take(2, LONG_MS);
      const done = success(leases[0]!);
      await store.complete([done]);
      await store.cancel(id('b'));
      assert.deepEqual(await store.getResult(id('a')), done.result);
      await pass(PAST_SHORT_TTL_MS);
      assert.equal(await store.getResult(id('a')), null);
      assert.equal(await store.get(id('a')), null);
      assert.equal(await store.getResult(id('b')), null);
      assert.equal(await store.cancel(id('a')), 'not_found');
      assert.deepEqual(await store.list({ status: 'succeeded', limit: 10 }), { jobs: [], next_cursor: null });
      assert.deepEqual(await store.list({ status: 'cancelled', limit: 10 }), { jobs: [], next_cursor: null });
      assert.equal((await store.get(id('queued')))?.status, 'queued', 'unfinished jobs do not expire');
    }));

    it('a batch of 10,000 jobs goes through enqueue, take and complete exactly once', () => withStore({}, async ({ store, id }) => {
      const n = 10_000;
      const specs = Array.from({ length: n }, (_, i) => jobSpec(id(i), { priority: (i % 3) - 1 }));
      const outcomes = await store.enqueue(specs);
      assert.equal(outcomes.length, n);
      assert.equal(outcomes.every((o, i) => o.created && o.status === 'queued' && o.job_id === specs[i]!.job_id), true);
      assert.deepEqual(counts(await store.depth()), { queued: n, delayed: 0, running: 0 });

      const leases: Lease[] = [];
      for (let round = 0; round < 20; round++) {
        const batch = await store.take(1000, LONG_MS);
        if (batch.length === 0) break;
        leases.push(...batch);
      }
      const expectedOrder = [1, 0, -1].flatMap((p) => specs.filter((s) => s.priority === p).map((s) => s.job_id));
      assert.deepEqual(leases.map((l) => l.job.job_id), expectedOrder);
      assert.equal(new Set(leases.map((l) => l.token)).size, n);
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 0, running: n });

      const written = await store.complete(leases.map((l) => success(l)));
      assert.equal(written.length, n);
      assert.equal(written.every((w) => w === true), true);
      assert.deepEqual(counts(await store.depth()), { queued: 0, delayed: 0, running: 0 });
      assert.deepEqual((await store.recentMetrics(3)).map((m) => m.job_id), expectedOrder.slice(-3).reverse());
      assert.equal((await store.getResult(id(1234)))?.job_id, id(1234));
      assert.equal((await store.enqueue(specs)).every((o) => !o.created && o.status === 'succeeded'), true);
      assert.deepEqual(await store.take(1000, LONG_MS), []);
    }));
  });
}

export function jobSpec(jobId: string, over: Partial<JobSpec> = {}): JobSpec {
  return {
    job_id: jobId,
    program: { ops: [{ op: 'counteq', imm: 1 }], single: true, data: 'AQEC', offset: 0, length: null },
    required_memory_mb: 256,
    required_duration_s: 30,
    requires_gpu: false,
    requires_state: false,
    priority: 0,
    timeout_s: 300,
    created_at: '2025-01-02T03:04:05.678Z',
    metadata: { source: 'conformance' },
    substrates: null,
    max_attempts: 3,
    ...over,
  };
}

function success(lease: Lease): Completion {
  const result: ResultRecord = {
    job_id: lease.job.job_id, status: 'succeeded', success: true, substrate: 'local',
    result: { count: 2, bytes: 3 }, exec_time_ms: 0.25, queue_time_ms: 1.5, bytes_processed: 3,
    cost_usd: 0, attempts: lease.attempt, error: null, completed_at: '2025-01-02T03:04:06.000Z',
  };
  return { lease, result, metric: metricFor(result) };
}

function failure(lease: Lease): Completion {
  const result: ResultRecord = {
    job_id: lease.job.job_id, status: 'failed', success: false, substrate: 'local', result: null,
    exec_time_ms: 0.1, queue_time_ms: 1, bytes_processed: 0, cost_usd: 0, attempts: lease.attempt,
    error: { code: 'WINDOW_OUT_OF_RANGE', message: 'offset 9 is past the end (3 bytes)', path: 'program.offset' },
    attempt_errors: [], completed_at: '2025-01-02T03:04:06.000Z',
  };
  return { lease, result, metric: metricFor(result) };
}

/** The counts every store reports (some also track inline bytes). */
function counts(depth: QueueDepth): QueueDepth {
  return { queued: depth.queued, delayed: depth.delayed, running: depth.running };
}

function metricFor(result: ResultRecord): MetricRecord {
  return {
    timestamp: result.completed_at, job_id: result.job_id, substrate: result.substrate, success: result.success,
    status: result.status, exec_time_ms: result.exec_time_ms, queue_time_ms: result.queue_time_ms,
    bytes_processed: result.bytes_processed, cost_usd: result.cost_usd, attempts: result.attempts,
  };
}

function attemptError(attempt: number, message: string, code: ErrorCode = 'SUBSTRATE_FAILED'): AttemptError {
  return { attempt, substrate: 'lambda', code, message, at: '2025-01-02T03:04:06.000Z' };
}

function assertLeaseExpired(error: AttemptError, attempt: number): void {
  assert.equal(error.code, 'LEASE_EXPIRED');
  assert.equal(error.attempt, attempt);
  assert.equal(error.substrate, null);
  assert.equal(typeof error.message, 'string');
  assert.equal(Number.isNaN(Date.parse(error.at)), false, 'at is an ISO timestamp');
}

function assertCancelled(result: ResultRecord | null, jobId: string, attempts: number): void {
  assert.equal(result?.job_id, jobId);
  assert.equal(result?.status, 'cancelled');
  assert.equal(result?.success, false);
  assert.equal(result?.result, null);
  assert.equal(result?.attempts, attempts);
  assert.equal(result?.error?.code, 'CANCELLED');
  assert.equal(Number.isNaN(Date.parse(result!.completed_at)), false);
}
