import { MinHeap } from '../util/min-heap.js';

/**
 * Minimum-cost flow by successive shortest paths (Dijkstra over reduced
 * costs with node potentials, so every residual cost stays ≥ 0). Edge costs
 * must be ≥ 0 when added; capacities are real numbers (work-seconds).
 *
 * Edges live in flat arrays (to, cap, cost, next-in-adjacency), each with its
 * reverse edge at index ^ 1, as usual for residual graphs.
 */
export class MinCostFlow {
  private readonly head: Int32Array;
  private to: number[] = [];
  private cap: number[] = [];
  private cost: number[] = [];
  private next: number[] = [];

  constructor(readonly nodes: number) {
    this.head = new Int32Array(nodes).fill(-1);
  }

  /** adds an edge; returns its index (its flow is read back with flowOn) */
  addEdge(from: number, to: number, capacity: number, cost: number): number {
    if (!(cost >= 0) || !(capacity >= 0)) throw new Error(`min-cost flow: bad edge ${from}→${to} cap ${capacity} cost ${cost}`);
    const e = this.to.length;
    this.to.push(to, from);
    this.cap.push(capacity, 0);
    this.cost.push(cost, -cost);
    this.next.push(this.head[from]!, this.head[to]!);
    this.head[from] = e;
    this.head[to] = e + 1;
    return e;
  }

  get edges(): number {
    return this.to.length / 2;
  }

  /** flow pushed through edge `e` (the residual capacity of its reverse) */
  flowOn(e: number): number {
    return this.cap[e ^ 1]!;
  }

  /**
   * Sends up to `want` units from s to t at minimum cost; returns the flow
   * sent and its cost. Flows below `eps` are treated as done (float capacities).
   */
  run(s: number, t: number, want: number, eps = 1e-9): { flow: number; cost: number; augmentations: number } {
    const n = this.nodes;
    const potential = new Float64Array(n);
    const dist = new Float64Array(n);
    const prevEdge = new Int32Array(n);
    const done = new Uint8Array(n);
    let flow = 0;
    let total = 0;
    let augmentations = 0;
    // nodes by tentative distance; an entry made stale by a shorter path is skipped when popped (`done`)
    const heap = new MinHeap<number>();
    while (flow < want - eps) {
      dist.fill(Infinity);
      done.fill(0);
      prevEdge.fill(-1);
      dist[s] = 0;
      heap.clear();
      heap.push(0, s);
      while (heap.size > 0) {
        const u = heap.pop()!;
        if (done[u] === 1) continue;
        done[u] = 1;
        // everything still queued is at least as far as t: min(dist, dist[t]) below is already exact
        if (u === t) break;
        const du = dist[u]!;
        for (let e = this.head[u]!; e !== -1; e = this.next[e]!) {
          if (this.cap[e]! <= eps) continue;
          const v = this.to[e]!;
          const nd = du + this.cost[e]! + potential[u]! - potential[v]!;
          if (nd < dist[v]! - 1e-15) {
            dist[v] = nd;
            prevEdge[v] = e;
            heap.push(nd, v);
          }
        }
      }
      if (dist[t] === Infinity) break;
      // min(dist, dist[t]) keeps every residual reduced cost ≥ 0, reached or not, so Dijkstra stays exact
      const dt = dist[t]!;
      for (let v = 0; v < n; v++) potential[v]! += Math.min(dist[v]!, dt);
      let push = want - flow;
      for (let v = t; v !== s; v = this.to[prevEdge[v]! ^ 1]!) push = Math.min(push, this.cap[prevEdge[v]!]!);
      let pathCost = 0;
      for (let v = t; v !== s; v = this.to[prevEdge[v]! ^ 1]!) {
        const e = prevEdge[v]!;
        this.cap[e]! -= push;
        this.cap[e ^ 1]! += push;
        pathCost += this.cost[e]!;
      }
      flow += push;
      total += push * pathCost;
      augmentations++;
    }
    return { flow, cost: total, augmentations };
  }
}
