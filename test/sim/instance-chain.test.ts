import { it } from 'node:test';
import assert from 'node:assert/strict';
import { minChain } from '../../src/sim/instance-chain.js';
import { Rng } from '../../src/sim/random.js';

/** every profile on a quarter grid (which holds every bound, so the optimum too), by enumeration */
function bruteForce(c: number[], launch: number, lo: number[], hi: number[]): number {
  let best = Infinity;
  const m = new Array<number>(c.length).fill(0);
  const visit = (s: number): void => {
    if (s === c.length) {
      let usd = 0;
      for (let t = 0, prev = 0; t < c.length; prev = m[t]!, t++) usd += c[t]! * m[t]! + launch * Math.max(0, m[t]! - prev);
      best = Math.min(best, usd);
      return;
    }
    for (let v = lo[s]!; v <= hi[s]! + 1e-9; v += 0.25) {
      m[s] = v;
      visit(s + 1);
    }
  };
  visit(0);
  return best;
}

it('minChain: the exact minimum of slot costs plus launches, and a profile that attains it', () => {
  const rng = new Rng(7);
  for (let round = 0; round < 60; round++) {
    const slots = 4;
    const quarter = (max: number) => Math.floor(rng.uniform(0, max * 4 + 1)) / 4;
    const hi = Array.from({ length: slots }, () => quarter(2));
    const lo = hi.map((h) => (rng.chance(0.5) ? 0 : Math.min(h, quarter(2))));
    // negative slot costs (the Lagrangian's) as well as positive ones
    const c = Array.from({ length: slots }, () => rng.uniform(-1, 1));
    const launch = rng.uniform(0, 2);
    const got = minChain(c, launch, lo, hi);
    const want = bruteForce(c, launch, lo, hi);
    assert.ok(Math.abs(got.usd - want) < 1e-9, `round ${round}: ${got.usd} vs ${want}`);
    let usd = 0;
    for (let t = 0, prev = 0; t < slots; prev = got.m[t]!, t++) {
      assert.ok(got.m[t]! >= lo[t]! - 1e-12 && got.m[t]! <= hi[t]! + 1e-12);
      usd += c[t]! * got.m[t]! + launch * Math.max(0, got.m[t]! - prev);
    }
    assert.ok(Math.abs(usd - got.usd) < 1e-9);
  }
});
