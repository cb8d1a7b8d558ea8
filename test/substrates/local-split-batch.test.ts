import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitBatch } from '../../src/substrates/local/split-batch.js';

describe('splitBatch', () => {
  it('gives idle workers equal shares, one message each', () => {
    assert.deepEqual(splitBatch([0, 0], 1000), [500, 500]);
    assert.deepEqual(splitBatch([0, 0, 0, 0], 10), [3, 3, 2, 2]);
  });

  it('tops up the least-loaded workers first', () => {
    assert.deepEqual(splitBatch([100, 0], 60), [0, 60]);
    assert.deepEqual(splitBatch([100, 0], 300), [100, 200]);
    assert.deepEqual(splitBatch([5, 1, 3], 4), [0, 3, 1]);
  });

  it('sends a single job to the least-loaded worker', () => {
    assert.deepEqual(splitBatch([4, 2, 7], 1), [0, 1, 0]);
    assert.deepEqual(splitBatch([0, 0], 1), [1, 0]);
  });

  it('skips workers marked Infinity and gives nothing when none can take work', () => {
    assert.deepEqual(splitBatch([Infinity, 3], 10), [0, 10]);
    assert.deepEqual(splitBatch([Infinity, Infinity], 10), [0, 0]);
    assert.deepEqual(splitBatch([], 10), []);
  });

  it('always hands out exactly the batch, never a negative share', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const loads = Array.from({ length: 1 + (seed % 7) }, (_, i) => (seed * 37 + i * 101) % 50);
      const count = (seed * 13) % 120;
      const shares = splitBatch(loads, count);
      assert.equal(shares.reduce((a, b) => a + b, 0), count, `seed ${seed}`);
      assert.ok(shares.every((s) => s >= 0), `seed ${seed}`);
      // Water filling: no worker that got jobs ends more than one above any other worker's final load.
      const final = loads.map((l, i) => l + shares[i]!);
      const minFinal = Math.min(...final);
      shares.forEach((s, i) => { if (s > 0) assert.ok(final[i]! <= minFinal + 1, `seed ${seed}`); });
    }
  });
});
