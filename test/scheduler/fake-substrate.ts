import type { Capabilities } from '../../src/scheduler/capabilities.js';
import type { SubstrateState } from '../../src/scheduler/substrate-state.js';
import type { ExecOutcome, ExecRequest, HealthReport, Substrate } from '../../src/substrates/substrate.js';
import type { JobSpec } from '../../src/job/types.js';

/**
 * Test-only substrate for scheduler unit tests: capabilities are plain
 * mutable data, probes answer whatever the test sets, and it counts calls.
 */
export class FakeSubstrate implements Substrate {
  capabilityCalls = 0;
  probeCalls = 0;
  /** what the next probes answer; an Error makes probe() reject with it */
  probeAnswer: HealthReport | Error = { healthy: true, latency_ms: 5 };

  constructor(
    readonly name: string,
    readonly type: string,
    public caps: Capabilities,
  ) {}

  capabilities(): Capabilities {
    this.capabilityCalls++;
    return this.caps;
  }

  async execute(batch: ExecRequest[]): Promise<ExecOutcome[]> {
    return batch.map(() => ({ ok: true, result: { count: 0, bytes: 0 }, bytes_processed: 0, exec_time_ms: 0 }));
  }

  async probe(): Promise<HealthReport> {
    this.probeCalls++;
    if (this.probeAnswer instanceof Error) throw this.probeAnswer;
    return this.probeAnswer;
  }

  async close(): Promise<void> {}
}

/** The original dispatcher's four substrates (contracts §6), with plenty of free slots. */
export function originalTable(): { browser: FakeSubstrate; cloudflare: FakeSubstrate; lambda: FakeSubstrate; fly: FakeSubstrate } {
  return {
    browser: new FakeSubstrate('browser', 'browser', caps({
      cost_per_hour_usd: 0, latency_ms: 200, max_memory_mb: 512, max_duration_seconds: 60,
      supports_gpu: true, supports_persistent_state: false, pricing: { model: 'free' }, trust: 'untrusted',
    })),
    cloudflare: new FakeSubstrate('cloudflare', 'cloudflare', caps({
      cost_per_hour_usd: 0.5, latency_ms: 50, max_memory_mb: 128, max_duration_seconds: 30,
      supports_gpu: false, supports_persistent_state: true, pricing: { model: 'per_hour', usd_per_hour: 0.5 },
    })),
    lambda: new FakeSubstrate('lambda', 'lambda', caps({
      cost_per_hour_usd: 0.0002, latency_ms: 100, max_memory_mb: 10240, max_duration_seconds: 900,
      supports_gpu: false, supports_persistent_state: false, pricing: { model: 'per_invocation', usd_per_invocation: 0.0002 },
    })),
    fly: new FakeSubstrate('fly', 'fly', caps({
      cost_per_hour_usd: 1.5, latency_ms: 150, max_memory_mb: 2048, max_duration_seconds: 3600,
      supports_gpu: false, supports_persistent_state: true, pricing: { model: 'per_hour', usd_per_hour: 1.5 },
    })),
  };
}

export function caps(over: Partial<Capabilities> = {}): Capabilities {
  return {
    max_concurrent_jobs: 100,
    max_memory_mb: 1024,
    max_duration_seconds: 300,
    supports_gpu: false,
    supports_persistent_state: false,
    cost_per_hour_usd: 0,
    latency_ms: 10,
    available_slots: 100,
    pricing: { model: 'free' },
    trust: 'trusted',
    ...over,
  };
}

/** A normalised job with the default fields (256 MB, 30 s, no gpu, no state) and a 64-byte inline window. */
export function job(over: Partial<JobSpec> = {}): JobSpec {
  return {
    job_id: 'job-1',
    program: { ops: [{ op: 'counteq', imm: 0 }], single: true, data: 'A'.repeat(86) + '==', offset: 0, length: null },
    required_memory_mb: 256,
    required_duration_s: 30,
    requires_gpu: false,
    requires_state: false,
    priority: 0,
    timeout_s: 300,
    created_at: '2024-01-01T00:00:00.000Z',
    metadata: {},
    substrates: null,
    max_attempts: 3,
    ...over,
  };
}

/** A substrate state as the registry would snapshot it: healthy, closed circuit, nothing measured. */
export function state(sub: FakeSubstrate, over: Partial<SubstrateState> = {}): SubstrateState {
  return {
    name: sub.name,
    type: sub.type,
    capabilities: sub.caps,
    healthy: true,
    circuit: 'closed',
    admits: true,
    inFlight: 0,
    measuredLatencyMs: null,
    measuredThroughputBps: null,
    avgExecMs: null,
    ...over,
  };
}
