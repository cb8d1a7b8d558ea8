import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, backoffDelayMs, type BackoffPolicy } from '../../src/util/backoff.js';

const policy = (jitter: BackoffPolicy['jitter']): BackoffPolicy => ({ baseMs: 200, maxMs: 30_000, jitter });

test('doubles from baseMs and stops at maxMs; a huge retry count stays finite', () => {
  const none = policy('none');
  assert.deepEqual([0, 1, 2, 3, 7, 8, 100, 1e9].map((n) => backoffDelayMs(none, n)), [200, 400, 800, 1600, 25_600, 30_000, 30_000, 30_000]);
  assert.equal(backoffDelayMs(none, -3), 200, 'a negative count is the first retry');
});

test('jitter: equal stays in [d/2, d], full in [0, d]', () => {
  for (const r of [0, 0.25, 0.999999]) {
    assert.equal(backoffDelayMs(policy('equal'), 2, () => r), Math.round(400 + r * 400));
    assert.equal(backoffDelayMs(policy('full'), 2, () => r), Math.round(r * 800));
  }
  for (let n = 0; n < 40; n++) {
    const d = backoffDelayMs(policy('equal'), n);
    const ceiling = Math.min(30_000, 200 * 2 ** n);
    assert.ok(d >= ceiling / 2 && d <= ceiling, `${n}: ${d}`);
  }
});

test('a Backoff counts failures until reset', () => {
  const b = new Backoff(policy('none'));
  assert.deepEqual([b.next(), b.next(), b.next()], [200, 400, 800]);
  assert.equal(b.attempts, 3);
  b.reset();
  assert.equal(b.next(), 200);
});
