import type { SubstrateView } from '../dispatcher/api.js';
import { PacketFSError } from '../errors.js';
import { MAX_SPLIT_WINDOWS, MAX_SPLIT_WINDOW_BYTES, type SplitSpec } from '../job/split-spec.js';

/**
 * How a split job's range becomes windows. For "auto" (docs/split.md):
 *
 *  - each window should cost far more than a round trip, so per-window
 *    overhead stays small: window ≥ OVERHEAD_FACTOR × latency × throughput,
 *    with the median latency and the best throughput the registry measured
 *    for the substrates the job may use (declared latency and a default
 *    throughput until measured);
 *  - every slot of those substrates should get a few windows, so a slow
 *    substrate or a retried window does not hold up the end:
 *    window ≤ range ÷ (WINDOWS_PER_SLOT × slots);
 *    where a substrate counts at most PARALLEL_CAP slots (a local pool
 *    declares thousands of in-flight slots but computes on a few threads);
 *  - the overhead bound wins when the two disagree, and the result is kept
 *    within [1 MiB, the smallest window any usable substrate's runtime
 *    reads] (workerd 32 MiB, other remote runtimes 64 MiB, local threads,
 *    volunteers and browsers 256 MiB) and rounded up to a multiple of 64 KiB.
 *
 * A program with fnv64 runs its windows one after another (the state of one
 * window is the next one's fnv_state), so parallelism cannot help it: it gets
 * the largest windows that still retry cheaply (SERIAL_WINDOW_BYTES).
 */
export interface SplitWindow {
  index: number;
  offset: number;
  length: number;
}

const MiB = 1024 * 1024;
const MIN_AUTO_WINDOW_BYTES = MiB;
const ROUND_BYTES = 64 * 1024;
const OVERHEAD_FACTOR = 20;
const WINDOWS_PER_SLOT = 3;
const PARALLEL_CAP = 16;
/** The largest window each runtime reads (src/runtimes/*: their window limits). */
const RUNTIME_WINDOW_LIMITS: Record<string, number> = { cloudflare: 32 * MiB, vercel: 64 * MiB, lambda: 64 * MiB, fly: 64 * MiB, cloudrun: 64 * MiB };
/** Assumed until a substrate has been measured: a conservative single-thread crc32c rate. */
const DEFAULT_THROUGHPUT_BPS = 200 * MiB;
export const SERIAL_WINDOW_BYTES = 64 * MiB;

export interface AutoInputs {
  rangeBytes: number;
  serial: boolean;
  /** the substrates the job may use, healthy or not (a sick one may recover) */
  substrates: SubstrateView[];
}

export function autoWindowBytes(inputs: AutoInputs): number {
  const { rangeBytes } = inputs;
  const usable = inputs.substrates.filter((s) => s.healthy && s.circuit !== 'open');
  const pool = usable.length > 0 ? usable : inputs.substrates;
  const limit = Math.min(MAX_SPLIT_WINDOW_BYTES, ...pool.map((s) => RUNTIME_WINDOW_LIMITS[s.type] ?? MAX_SPLIT_WINDOW_BYTES));
  if (inputs.serial) return clampWindow(Math.min(rangeBytes, SERIAL_WINDOW_BYTES), limit);
  const slots = Math.max(1, pool.reduce((sum, s) => sum + Math.min(PARALLEL_CAP, Math.max(0, s.capabilities.max_concurrent_jobs)), 0));
  const latenciesS = pool.map((s) => (s.measured_latency_ms ?? s.capabilities.latency_ms) / 1000).sort((a, b) => a - b);
  const latencyS = latenciesS.length === 0 ? 0.01 : latenciesS[Math.floor(latenciesS.length / 2)]!;
  const throughput = Math.max(DEFAULT_THROUGHPUT_BPS, ...pool.map((s) => s.measured_throughput_bps ?? 0));
  const overheadBound = OVERHEAD_FACTOR * latencyS * throughput;
  const spreadBound = rangeBytes / (WINDOWS_PER_SLOT * slots);
  return clampWindow(Math.max(overheadBound, spreadBound), limit);
}

function clampWindow(bytes: number, limit: number): number {
  const rounded = Math.ceil(bytes / ROUND_BYTES) * ROUND_BYTES;
  return Math.min(limit, Math.max(MIN_AUTO_WINDOW_BYTES, rounded));
}

/** The window size a split spec asks for, given the range and the substrates. */
export function windowBytesFor(split: SplitSpec, inputs: AutoInputs): number {
  return split === 'auto' ? autoWindowBytes(inputs) : split.window_bytes;
}

/** Number of windows of [start, start+rangeBytes): an empty range is one empty window, so the result has the single-pass shape. */
export function windowCount(rangeBytes: number, windowBytes: number): number {
  const count = rangeBytes === 0 ? 1 : Math.ceil(rangeBytes / windowBytes);
  if (count > MAX_SPLIT_WINDOWS) {
    throw new PacketFSError('PAYLOAD_TOO_LARGE',
      `window_bytes ${windowBytes} cuts ${rangeBytes} bytes into ${count} windows; at most ${MAX_SPLIT_WINDOWS} are allowed (use bigger windows or "auto")`,
      { path: 'split.window_bytes' });
  }
  return count;
}

export function windowAt(start: number, rangeBytes: number, windowBytes: number, index: number): SplitWindow {
  const offset = start + index * windowBytes;
  return { index, offset, length: Math.min(windowBytes, start + rangeBytes - offset) };
}
