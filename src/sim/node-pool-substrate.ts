import type { Capabilities } from '../scheduler/capabilities.js';
import type { ExecOutcome, ExecRequest, HealthReport, Substrate } from '../substrates/substrate.js';
import type { VirtualClock } from './virtual-clock.js';
import { factsOf, failedOutcome, Meter, okOutcome, type FactsById } from './sim-job.js';

/**
 * A simulated pool of volunteer nodes (browser tabs or `packetfs worker`
 * processes) behind the Substrate contract, as the real node-pool substrates
 * present them: one substrate whose free slots are the sum over connected
 * nodes, free, untrusted.
 *
 * Churn: each node alternates online sessions and offline gaps, both
 * Weibull-distributed (the family that fits volunteer-host availability
 * intervals, see docs/scheduling.md). A node's k-th session and gap are
 * drawn from a hash of (seed, node, k), so every policy meets exactly the
 * same nodes at the same instants, and nothing is precomputed per node.
 *
 * State per node (typed arrays, 100,000 nodes cost a few MB):
 *   offline ──session starts──► online (free = slots)
 *   online  ──session ends────► offline: jobs running there fail at that instant
 * Transitions are applied lazily, in time order from a heap of next
 * boundaries, whenever the pool is looked at (capabilities, execute).
 * A job runs on one node: transfer (bytes ÷ the node's bandwidth) + work ÷
 * the node's speed. The batch answers one round trip after its last job;
 * a node's slots come back then (if the node is still in that session).
 * Result verification (spot checks against the local arbiter) is not simulated.
 */
export interface NodeModel {
  name: string;
  type: 'browser' | 'volunteer';
  nodes: number;
  declaredLatencyMs: number;
  maxMemoryMb: number;
  slotChoices: readonly number[];
  speed: readonly [number, number];
  rttMedianMs: number;
  bandwidthBps: readonly [number, number];
  session: { shape: number; scaleMs: number };
  gap: { shape: number; scaleMs: number };
}

export class SimNodePoolSubstrate implements Substrate {
  readonly name: string;
  readonly type: string;
  readonly meter = new Meter();
  private readonly n: number;
  private readonly slots: Uint8Array;
  private readonly free: Uint8Array;
  private readonly online: Uint8Array;
  private readonly inStack: Uint8Array;
  private readonly speed: Float32Array;
  private readonly rtt: Float32Array;
  private readonly bw: Float32Array;
  private readonly boundary: Float64Array;
  private readonly sessionNo: Uint32Array;
  private readonly generation: Uint32Array;
  /** node indexes with free slots (may hold stale entries, checked on pop) */
  private readonly stack: number[] = [];
  private readonly heap: Int32Array;
  private available = 0;
  private connected = 0;
  private capacity = 0;

  constructor(private readonly model: NodeModel, private readonly seed: number, private readonly clock: VirtualClock, private readonly facts: FactsById) {
    this.name = model.name;
    this.type = model.type;
    const n = model.nodes;
    this.n = n;
    this.slots = new Uint8Array(n);
    this.free = new Uint8Array(n);
    this.online = new Uint8Array(n);
    this.inStack = new Uint8Array(n);
    this.speed = new Float32Array(n);
    this.rtt = new Float32Array(n);
    this.bw = new Float32Array(n);
    this.boundary = new Float64Array(n);
    this.sessionNo = new Uint32Array(n);
    this.generation = new Uint32Array(n);
    this.heap = new Int32Array(n);
    const pOn = this.pOn();
    for (let i = 0; i < n; i++) {
      this.slots[i] = model.slotChoices[Math.floor(this.u(i, 0, 1) * model.slotChoices.length)]!;
      this.speed[i] = model.speed[0] + (model.speed[1] - model.speed[0]) * this.u(i, 0, 2);
      this.rtt[i] = model.rttMedianMs * Math.exp(0.5 * gaussian(this.u(i, 0, 3), this.u(i, 0, 4)));
      this.bw[i] = model.bandwidthBps[0] + (model.bandwidthBps[1] - model.bandwidthBps[0]) * this.u(i, 0, 5);
      // start in the stationary mix: online with the long-run availability
      if (this.u(i, 0, 6) < pOn) {
        this.goOnline(i);
        this.boundary[i] = this.draw(i, 'session');
      } else {
        this.boundary[i] = this.draw(i, 'gap');
      }
      this.heap[i] = i;
    }
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** online nodes right now (for reports) */
  get nodesOnline(): number {
    this.advance(this.clock.now());
    return this.connected;
  }

  capabilities(): Capabilities {
    this.advance(this.clock.now());
    return {
      max_concurrent_jobs: this.capacity,
      max_memory_mb: this.model.maxMemoryMb,
      max_duration_seconds: 3600,
      supports_gpu: false,
      supports_persistent_state: false,
      cost_per_hour_usd: 0,
      latency_ms: this.model.declaredLatencyMs,
      available_slots: this.available,
      pricing: { model: 'free' },
      trust: 'untrusted',
    };
  }

  execute(batch: ExecRequest[]): Promise<ExecOutcome[]> {
    const now = this.clock.now();
    this.advance(now);
    const outcomes: ExecOutcome[] = new Array(batch.length);
    const taken: number[] = [];
    const gens: number[] = [];
    let last = now;
    let maxRtt = 0;
    for (let i = 0; i < batch.length; i++) {
      const f = factsOf(this.facts, batch[i]!);
      const node = this.takeSlot();
      this.meter.attempts++;
      if (node < 0) {
        this.meter.failures++;
        outcomes[i] = failedOutcome(`no ${this.model.type} node free`, 0);
        continue;
      }
      taken.push(node);
      gens.push(this.generation[node]!);
      const rtt = this.rtt[node]!;
      if (rtt > maxRtt) maxRtt = rtt;
      const start = now + rtt / 2;
      const runMs = (f.bytes / this.bw[node]!) * 1000 + (f.workS / this.speed[node]!) * 1000;
      let end = start + runMs;
      const leaves = this.boundary[node]!;
      if (leaves < end) {
        end = Math.max(start, leaves);
        this.meter.failures++;
        outcomes[i] = failedOutcome(`${this.model.type} node ${node} left mid-job`, end - start, `${this.model.type}-${node}`);
      } else {
        outcomes[i] = okOutcome(runMs, f.bytes, 0);
      }
      if (end > last) last = end;
    }
    return new Promise((resolve) => {
      this.clock.at(last + maxRtt / 2, () => {
        this.advance(this.clock.now());
        for (let k = 0; k < taken.length; k++) this.release(taken[k]!, gens[k]!);
        resolve(outcomes);
      });
    });
  }

  async probe(): Promise<HealthReport> {
    return { healthy: true, latency_ms: this.model.rttMedianMs };
  }

  async close(): Promise<void> {}

  private takeSlot(): number {
    while (this.stack.length > 0) {
      const node = this.stack[this.stack.length - 1]!;
      if (this.online[node] === 1 && this.free[node]! > 0) {
        this.free[node]!--;
        this.available--;
        if (this.free[node] === 0) {
          this.stack.pop();
          this.inStack[node] = 0;
        }
        return node;
      }
      this.stack.pop();
      this.inStack[node] = 0;
    }
    return -1;
  }

  private release(node: number, generation: number): void {
    if (this.online[node] !== 1 || this.generation[node] !== generation) return;
    this.free[node]!++;
    this.available++;
    if (this.inStack[node] === 0) {
      this.inStack[node] = 1;
      this.stack.push(node);
    }
  }

  private goOnline(i: number): void {
    this.online[i] = 1;
    this.free[i] = this.slots[i]!;
    this.available += this.slots[i]!;
    this.capacity += this.slots[i]!;
    this.connected++;
    this.generation[i]!++;
    if (this.inStack[i] === 0) {
      this.inStack[i] = 1;
      this.stack.push(i);
    }
  }

  private goOffline(i: number): void {
    this.online[i] = 0;
    this.available -= this.free[i]!;
    this.capacity -= this.slots[i]!;
    this.free[i] = 0;
    this.connected--;
  }

  /** applies every session start and end up to `now`, in time order */
  private advance(now: number): void {
    const heap = this.heap;
    while (this.n > 0 && this.boundary[heap[0]!]! <= now) {
      const i = heap[0]!;
      const at = this.boundary[i]!;
      if (this.online[i] === 1) {
        this.goOffline(i);
        this.sessionNo[i]!++;
        this.boundary[i] = at + this.draw(i, 'gap');
      } else {
        this.goOnline(i);
        this.boundary[i] = at + this.draw(i, 'session');
      }
      this.siftDown(0);
    }
  }

  /**
   * Every online interval of every node up to `horizonMs`, replayed from the
   * same draws as the live pool (for the oracle's capacity; the live state is untouched).
   */
  forEachSession(horizonMs: number, visit: (node: number, fromMs: number, toMs: number, slots: number, speed: number) => void): void {
    const pOn = this.pOn();
    for (let i = 0; i < this.n; i++) {
      let sessionNo = 0;
      let online = this.u(i, 0, 6) < pOn;
      let t = 0;
      let b = this.drawFor(i, sessionNo, online ? 'session' : 'gap');
      while (t < horizonMs) {
        if (online) {
          visit(i, t, Math.min(b, horizonMs), this.slots[i]!, this.speed[i]!);
          sessionNo++;
          t = b;
          b = t + this.drawFor(i, sessionNo, 'gap');
        } else {
          t = b;
          b = t + this.drawFor(i, sessionNo, 'session');
        }
        online = !online;
      }
    }
  }

  private pOn(): number {
    const meanOn = weibullMean(this.model.session.shape, this.model.session.scaleMs);
    const meanOff = weibullMean(this.model.gap.shape, this.model.gap.scaleMs);
    return meanOn / (meanOn + meanOff);
  }

  private draw(i: number, which: 'session' | 'gap'): number {
    return this.drawFor(i, this.sessionNo[i]!, which);
  }

  private drawFor(i: number, sessionNo: number, which: 'session' | 'gap'): number {
    const p = which === 'session' ? this.model.session : this.model.gap;
    const u = this.u(i, sessionNo + 1, which === 'session' ? 7 : 8);
    // at least a second: a zero-length session would be a busy loop of transitions
    return Math.max(1000, p.scaleMs * (-Math.log(1 - u)) ** (1 / p.shape));
  }

  /** a uniform number in [0, 1) fixed by (seed, node, k, salt) */
  private u(node: number, k: number, salt: number): number {
    let h = Math.imul(this.seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(node + 0x632be5ab, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) ^ Math.imul(k + 0x1b873593, 0x27d4eb2f);
    h = Math.imul(h ^ (h >>> 13), 0x297a2d39) ^ Math.imul(salt + 0x68e31da4, 0x165667b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return (h >>> 0) / 4294967296;
  }

  private siftDown(pos: number): void {
    const heap = this.heap;
    const key = this.boundary;
    const n = this.n;
    const item = heap[pos]!;
    const k = key[item]!;
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && key[heap[r]!]! < key[heap[l]!]! ? r : l;
      if (key[heap[c]!]! >= k) break;
      heap[pos] = heap[c]!;
      pos = c;
    }
    heap[pos] = item;
  }
}

function gaussian(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/** mean of a Weibull(shape, scale): scale × Γ(1 + 1/shape) */
export function weibullMean(shape: number, scale: number): number {
  return scale * gamma(1 + 1 / shape);
}

/** Lanczos approximation of Γ(x), x > 0 */
function gamma(x: number): number {
  const g = 7;
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * gamma(1 - x));
  x -= 1;
  let a = c[0]!;
  const t = x + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += c[i]! / (x + i);
  return Math.sqrt(2 * Math.PI) * t ** (x + 0.5) * Math.exp(-t) * a;
}
