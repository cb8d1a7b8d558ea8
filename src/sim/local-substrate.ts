import type { Capabilities } from '../scheduler/capabilities.js';
import type { ExecOutcome, ExecRequest, HealthReport, Substrate } from '../substrates/substrate.js';
import type { VirtualClock } from './virtual-clock.js';
import { factsOf, Meter, okOutcome, type FactsById } from './sim-job.js';

/** slots per thread, as the real local pool (src/substrates/local/local-substrate.ts) */
const SLOTS_PER_THREAD = 1024;

/**
 * The simulated local worker-thread pool: `threads` cores at speed 1, free,
 * trusted, round trip ~0. Like the real pool it accepts many more jobs than
 * it has threads (1,024 slots per thread) and queues them: each job runs on
 * the thread that frees up first, so a job's time there is its wait in that
 * queue plus its work. The batch answers when its last job is done.
 */
export class SimLocalSubstrate implements Substrate {
  readonly name = 'local';
  readonly type = 'local';
  readonly meter = new Meter();
  private inFlight = 0;
  /** when each thread finishes what it was given */
  private readonly freeAt: Float64Array;

  constructor(private readonly threads: number, private readonly maxMemoryMb: number, private readonly clock: VirtualClock, private readonly facts: FactsById) {
    this.freeAt = new Float64Array(threads);
  }

  capabilities(): Capabilities {
    return {
      max_concurrent_jobs: this.threads * SLOTS_PER_THREAD,
      max_memory_mb: this.maxMemoryMb,
      max_duration_seconds: 3600,
      supports_gpu: false,
      supports_persistent_state: false,
      cost_per_hour_usd: 0,
      latency_ms: 0.1,
      available_slots: Math.max(0, this.threads * SLOTS_PER_THREAD - this.inFlight),
      parallelism: this.threads,
      pricing: { model: 'free' },
      trust: 'trusted',
    };
  }

  execute(batch: ExecRequest[]): Promise<ExecOutcome[]> {
    const now = this.clock.now();
    const outcomes: ExecOutcome[] = new Array(batch.length);
    let last = now;
    this.inFlight += batch.length;
    for (let i = 0; i < batch.length; i++) {
      const f = factsOf(this.facts, batch[i]!);
      let t = 0;
      for (let k = 1; k < this.threads; k++) if (this.freeAt[k]! < this.freeAt[t]!) t = k;
      const start = Math.max(now, this.freeAt[t]!);
      const runMs = f.workS * 1000;
      this.freeAt[t] = start + runMs;
      if (start + runMs > last) last = start + runMs;
      outcomes[i] = okOutcome(runMs, f.bytes, 0);
      this.meter.attempts++;
    }
    return new Promise((resolve) => {
      this.clock.at(last + 0.1, () => {
        this.inFlight -= batch.length;
        resolve(outcomes);
      });
    });
  }

  async probe(): Promise<HealthReport> {
    return { healthy: true, latency_ms: 0.1 };
  }

  async close(): Promise<void> {}
}
