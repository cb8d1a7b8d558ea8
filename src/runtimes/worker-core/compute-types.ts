import type { ErrorBody } from '../../errors.js';
import type { OpResult } from '../../ops/types.js';

/**
 * The wire shapes of POST /compute, shared by every HTTP runtime and by the
 * dispatcher-side adapters. A request carries one job or `{jobs: [...]}`.
 */
export interface ComputeJob {
  job_id: string;
  /** the wire program (contracts §2), validated per job so one bad program fails only its own job */
  program: unknown;
  timeout_s: number;
  /** names the state a requires_state job continues (Cloudflare Durable Object); see docs/runtimes.md */
  state_key?: string;
}

export type JobResponse =
  | {
      job_id: string;
      success: true;
      result: OpResult | OpResult[];
      exec_time_ms: number;
      bytes_processed: number;
    }
  | {
      job_id: string;
      success: false;
      result: null;
      exec_time_ms: number;
      bytes_processed: 0;
      error: ErrorBody;
      /** false when running the job again cannot help (bad program, forbidden URL) */
      retryable: boolean;
    };

export interface HealthResponse {
  status: 'ok';
  version: string;
  runtime: string;
  ops: readonly string[];
  /** which kernels counteq/xor/add run on here: native (Node addon), WebAssembly SIMD or the pure TypeScript fallback */
  kernels: 'native' | 'wasm-simd' | 'ts';
}
