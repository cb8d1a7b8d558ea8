import type { Capabilities } from './capabilities.js';
import type { CircuitState } from './circuit-breaker.js';

/**
 * One substrate as the scheduler sees it at one moment: what it declares
 * (capabilities read once per placement call) plus what the registry learned.
 * Filters and policies take this instead of the live substrate so a
 * placement call works on one consistent snapshot.
 */
export interface SubstrateState {
  readonly name: string;
  readonly type: string;
  readonly capabilities: Capabilities;
  /** verdict of the last health probe (true until the first one says otherwise) */
  readonly healthy: boolean;
  readonly circuit: CircuitState;
  /** whether the circuit breaker lets a batch through now */
  readonly admits: boolean;
  /** jobs dispatched there whose outcomes have not come back */
  readonly inFlight: number;
  /** moving average of round trip per batch (probe RTT until batches are measured); null = not measured */
  readonly measuredLatencyMs: number | null;
  /** bytes per second of one job's execution; null = not measured */
  readonly measuredThroughputBps: number | null;
  /** average exec time of one job; null = not measured */
  readonly avgExecMs: number | null;
  /** declared durations (ms) of the jobs in flight there (absent: not tracked) */
  readonly inFlightDeclaredMs?: number;
  /** measured exec time ÷ declared duration there; null = not measured */
  readonly execRatio?: number | null;
  /** health-probe round trip (network only); null = not measured */
  readonly probeLatencyMs?: number | null;
  /** ms since it last had a job in flight: 0 while it has some, Infinity if it never had one (absent: not tracked) */
  readonly idleMs?: number;
  /** the most jobs it had in flight at once lately (within about 5 minutes), and how long ago (absent: not tracked) */
  readonly recentPeak?: { readonly inFlight: number; readonly ageMs: number };
}
