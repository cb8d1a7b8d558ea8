import type { Capabilities } from '../scheduler/capabilities.js';
import type { ProgramSpec, Verification, VerifyMode } from '../job/types.js';
import type { OpResult } from '../ops/types.js';
import type { ErrorBody } from '../errors.js';

/**
 * The Substrate contract: where a job runs. One folder per implementation
 * under src/substrates/<type>/. The dispatcher hands a substrate a batch of
 * jobs at a time (never more than capabilities().available_slots) and gets
 * one outcome per job, in the same order.
 */
export interface Substrate {
  /** instance name, unique in a dispatcher: 'local', 'lambda-eu', ... */
  readonly name: string;
  /** implementation type: 'local' | 'browser' | 'volunteer' | 'cloudflare' | 'lambda' | 'fly' | 'cloudrun' | 'vercel' */
  readonly type: string;

  /** current capabilities, including available_slots (cheap, synchronous: called on every placement) */
  capabilities(): Capabilities;

  /** runs a batch; never rejects for a job's own failure: that is an outcome with ok=false */
  execute(batch: ExecRequest[]): Promise<ExecOutcome[]>;

  /** one health probe (the scheduler calls it in the background, never per job) */
  probe(): Promise<HealthReport>;

  start?(): Promise<void>;
  close(): Promise<void>;
}

export interface ExecRequest {
  job_id: string;
  program: ProgramSpec;
  /** epoch ms by which the job must finish (from timeout_s) */
  deadline: number;
  /** the job's declared needs, for substrates that size invocations (e.g. Lambda memory) */
  required_memory_mb: number;
  /** how an untrusted substrate's result must be checked; absent means 'auto' */
  verify?: VerifyMode;
  /** the job has no attempt left after this one: a verifying substrate completes it on its arbiter rather than fail it */
  last_attempt?: boolean;
}

export type ExecOutcome =
  | {
      ok: true;
      /** single-op shorthand: one object; otherwise one per op */
      result: OpResult | OpResult[];
      bytes_processed: number;
      exec_time_ms: number;
      /** cost reported or estimated by the substrate, if it knows better than the price table */
      cost_usd?: number;
      node?: string;
      /** set by substrates that verify their results (the node substrates) */
      verification?: Verification;
    }
  | {
      ok: false;
      error: ErrorBody;
      /**
       * false when running it again cannot help (invalid window, forbidden URL):
       * the dispatcher fails the job at once instead of retrying
       */
      retryable: boolean;
      exec_time_ms: number;
      node?: string;
    };

export interface HealthReport {
  healthy: boolean;
  /** round-trip time of the probe, when measured */
  latency_ms?: number;
  detail?: string;
}
