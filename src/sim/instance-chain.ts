/**
 * The instance side of the oracle's spot bound (docs/scheduling.md, point (v)): how few instances,
 * at what cost, a fleet needs over the oracle's time slots.
 *
 * M[s] is the average number of instances running jobs during slot s (a fraction: the integral of
 * the instance count over the slot ÷ the slot's length). An instance costs `slotUsd` per unit of M
 * per slot, and every instance that runs jobs was launched once, paying `launchUsd` (its boot and
 * its idle tail) on top. The count of instances a profile needs is at least the sum of its rises,
 * Σ max(0, M[s] − M[s−1]) from M[−1] = 0 (spot-substrate.ts has no instance at time 0), because
 * every rise of the instance count is an instance coming up, and averaging over a slot can only
 * shrink the rises.
 *
 * minChain minimises Σ c[s]·M[s] + launchUsd·Σ max(0, M[s] − M[s−1]) over lo[s] ≤ M[s] ≤ hi[s].
 * It is a linear programme whose constraints are bounds and differences with right-hand side 0,
 * so an optimal vertex takes every M[s] from the bounds' values and 0: an exact dynamic programme
 * over those levels, O(slots × levels).
 */
export interface ChainSolution {
  /** the minimum */
  usd: number;
  /** an optimal profile */
  m: Float64Array;
}

export function minChain(c: ArrayLike<number>, launchUsd: number, lo: ArrayLike<number>, hi: ArrayLike<number>): ChainSolution {
  const slots = c.length;
  const values = [0];
  for (let s = 0; s < slots; s++) values.push(Math.min(lo[s]!, hi[s]!), hi[s]!);
  const levels = Float64Array.from(new Set(values)).sort();
  const n = levels.length;
  let prev = new Float64Array(n).fill(Infinity);
  // before slot 0 the fleet is empty: level 0 (levels[0], as every bound is ≥ 0)
  prev[0] = 0;
  let cur = new Float64Array(n);
  const from = new Int32Array(slots * n).fill(-1);
  for (let s = 0; s < slots; s++) {
    const low = Math.min(lo[s]!, hi[s]!);
    const high = hi[s]!;
    // from a level v' ≥ v: no launch (suffix minimum); from v' < v: launches (v − v') (prefix minimum of dp − launch·v')
    const sufBest = new Float64Array(n);
    const sufArg = new Int32Array(n);
    let best = Infinity;
    let arg = -1;
    for (let j = n - 1; j >= 0; j--) {
      if (prev[j]! < best) { best = prev[j]!; arg = j; }
      sufBest[j] = best;
      sufArg[j] = arg;
    }
    let preBest = Infinity;
    let preArg = -1;
    for (let j = 0; j < n; j++) {
      const v = levels[j]!;
      cur[j] = Infinity;
      if (v >= low && v <= high) {
        const stay = sufBest[j]!;
        const rise = preBest + launchUsd * v;
        const take = stay <= rise ? sufArg[j]! : preArg;
        const base = Math.min(stay, rise);
        if (base < Infinity) {
          cur[j] = base + c[s]! * v;
          from[s * n + j] = take;
        }
      }
      if (prev[j]! - launchUsd * v < preBest) { preBest = prev[j]! - launchUsd * v; preArg = j; }
    }
    [prev, cur] = [cur, prev];
  }
  let end = -1;
  let usd = Infinity;
  for (let j = 0; j < n; j++) if (prev[j]! < usd) { usd = prev[j]!; end = j; }
  const m = new Float64Array(slots);
  for (let s = slots - 1, j = end; s >= 0 && j >= 0; s--) {
    m[s] = levels[j]!;
    j = from[s * n + j]!;
  }
  return { usd, m };
}

