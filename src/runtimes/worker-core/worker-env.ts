import type { ComputeJob, JobResponse } from './compute-types.js';

/**
 * What a runtime tells the worker core about itself. Every runtime (workerd,
 * Lambda, the Node HTTP server, Vercel Edge) builds one from its own
 * configuration source (bindings, environment variables, CLI flags).
 */
export interface WorkerEnv {
  /** reported by GET /health: 'cloudflare', 'lambda', 'http', 'vercel' */
  runtime: string;
  /** when set, POST /compute needs `Authorization: Bearer <token>` */
  token?: string | undefined;
  /** let data_url reach private, loopback and link-local addresses (trusted networks, tests) */
  allowPrivate?: boolean;
  /** largest request body accepted */
  maxBodyBytes: number;
  /** largest window one job may read */
  maxWindowBytes: number;
  /** the WHATWG fetch used for data_url windows */
  fetch: typeof fetch;
  /**
   * A Range reader that vets the address actually connected to (Node has a
   * resolver hook; workerd and Edge do not). When absent, `fetch` is used
   * behind the DNS-free host check of data-url-guard.ts.
   */
  fetchRange?: (url: string, offset: number, length: number | null, signal?: AbortSignal) => Promise<Uint8Array>;
  /**
   * Runs jobs that carry a `state_key` (requires_state), in order. Only the
   * Cloudflare runtime has one (its Durable Object); elsewhere such jobs
   * fail with INVALID_JOB instead of silently losing their state.
   */
  runStateful?: (jobs: ComputeJob[]) => Promise<JobResponse[]>;
}

/** Most jobs in one batch request. */
export const MAX_BATCH_JOBS = 1000;

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_WINDOW_BYTES = 64 * 1024 * 1024;

/** Reads a boolean setting given as a string (environment variables) or a boolean (bindings). */
export function flagEnabled(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  return typeof value === 'string' && /^(1|true|yes|on)$/i.test(value.trim());
}
