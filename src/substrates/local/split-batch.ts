/**
 * Decides how many of `count` new jobs each worker takes so that the busiest
 * worker ends up as lightly loaded as possible ("water filling"): the
 * least-loaded workers are topped up to a common level first. Each worker gets
 * at most one share, so 1,000 jobs over 4 idle workers become 4 messages of 250.
 *
 * `loads` are the jobs already in flight per worker; a worker that must not
 * take work is passed as Infinity. Returns one share per worker, same order.
 */
export function splitBatch(loads: readonly number[], count: number): number[] {
  const shares = new Array<number>(loads.length).fill(0);
  const order = loads.map((_, i) => i).filter((i) => Number.isFinite(loads[i]!)).sort((a, b) => loads[a]! - loads[b]!);
  if (order.length === 0 || count <= 0) return shares;

  // Grow the set of workers that share the batch while the next one is still
  // below the level the set would reach without it.
  let used = 1;
  let loadSum = loads[order[0]!]!;
  while (used < order.length) {
    const next = loads[order[used]!]!;
    if (next * used >= loadSum + count) break;
    loadSum += next;
    used++;
  }

  const total = loadSum + count;
  const level = Math.floor(total / used);
  let remainder = total - level * used;
  for (let k = 0; k < used; k++) {
    const worker = order[k]!;
    shares[worker] = level - loads[worker]! + (remainder > 0 ? 1 : 0);
    if (remainder > 0) remainder--;
  }
  return shares;
}
