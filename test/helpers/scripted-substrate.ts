import type { ErrorCode } from '../../src/errors.js';
import type { Capabilities } from '../../src/scheduler/capabilities.js';
import type { ExecOutcome, ExecRequest, HealthReport, Substrate } from '../../src/substrates/substrate.js';
import { runOps } from '../../src/ops/index.js';
import { decodeBase64 } from '../../src/util/base64.js';

/**
 * Test fixture: a substrate that computes real results in-process (inline
 * data only) but whose behaviour can be scripted — fail the next N attempts,
 * hang, gate execution until released — so dispatcher tests can exercise
 * retries, failover, timeouts and priority deterministically.
 */
export class ScriptedSubstrate implements Substrate {
  readonly type: string;
  executed: string[] = [];
  private failures: Array<{ code: ErrorCode; retryable: boolean }> = [];
  private hanging = false;
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;
  private inFlight = 0;
  healthy = true;

  constructor(readonly name: string, private readonly caps: Partial<Capabilities> = {}, type = 'scripted') {
    this.type = type;
  }

  failNext(n: number, code: ErrorCode = 'SUBSTRATE_FAILED', retryable = true): this {
    for (let i = 0; i < n; i++) this.failures.push({ code, retryable });
    return this;
  }

  hang(on = true): this {
    this.hanging = on;
    return this;
  }

  hold(): this {
    this.gate = new Promise((r) => { this.openGate = r; });
    return this;
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
  }

  capabilities(): Capabilities {
    const max = this.caps.max_concurrent_jobs ?? 1000;
    return {
      max_concurrent_jobs: max,
      max_memory_mb: 4096,
      max_duration_seconds: 3600,
      supports_gpu: false,
      supports_persistent_state: false,
      cost_per_hour_usd: 0,
      latency_ms: 1,
      pricing: { model: 'free' },
      trust: 'trusted',
      ...this.caps,
      available_slots: Math.max(0, max - this.inFlight),
    };
  }

  async execute(batch: ExecRequest[]): Promise<ExecOutcome[]> {
    this.inFlight += batch.length;
    try {
      if (this.hanging) await new Promise(() => {});
      if (this.gate) await this.gate;
      return batch.map((req) => {
        this.executed.push(req.job_id);
        const failure = this.failures.shift();
        if (failure) return { ok: false as const, retryable: failure.retryable, exec_time_ms: 0.1, error: { code: failure.code, message: `${this.name} scripted failure` } };
        const bytes = decodeBase64(req.program.data ?? '');
        const end = req.program.length === null ? bytes.length : req.program.offset + req.program.length;
        const window = bytes.subarray(req.program.offset, end);
        const results = runOps(req.program.ops, window, req.program.fnv_state);
        return { ok: true, result: req.program.single ? results[0]! : results, bytes_processed: window.length, exec_time_ms: 0.1 };
      });
    } finally {
      this.inFlight -= batch.length;
    }
  }

  async probe(): Promise<HealthReport> {
    return { healthy: this.healthy, latency_ms: 1 };
  }

  async close(): Promise<void> {
    this.release();
  }
}
