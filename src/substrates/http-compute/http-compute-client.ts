import { isRetryableCode } from '../../errors.js';
import { isPlainObject } from '../../job/range-checks.js';
import type { ExecOutcome, HealthReport } from '../substrate.js';
import { errorBodyOf, failEach, outcomesOfBatchReply } from './compute-reply.js';
import { readBoundedJson } from './read-bounded.js';
import type { RemoteJob } from './remote-job.js';

/** Produces the Authorization header value (or none); may fetch and cache a token. */
export type AuthorizationSource = () => Promise<string | undefined>;

export interface HttpComputeClientOptions {
  /** substrate name, for messages */
  substrate: string;
  /** runtime base URL; requests go to <url>/compute and <url>/health */
  url: string;
  authorization?: AuthorizationSource | undefined;
  /** largest reply read, bytes; default 64 MiB */
  maxReplyBytes?: number;
  /** how long a health probe may take; default 5 s */
  probeTimeoutMs?: number;
}

const DEFAULT_MAX_REPLY_BYTES = 64 * 1024 * 1024;

/**
 * The client of the runtimes' shared HTTP API (`POST /compute`, `GET /health`),
 * used by the cloudflare, fly, cloudrun and vercel adapters. Node's fetch
 * keeps connections alive per origin, so consecutive requests reuse them.
 *
 * How replies map to outcomes:
 *   2xx {results}          → one outcome per job, the runtime's own `retryable`
 *   429                    → retryable THROTTLED for every job of the request
 *   5xx, network, timeout  → retryable SUBSTRATE_FAILED (fail over elsewhere)
 *   other 4xx {error}      → the runtime's code; retryable unless it is the job's own fault
 * The token never appears in a message.
 */
export class HttpComputeClient {
  private readonly computeUrl: string;
  private readonly healthUrl: string;
  private readonly maxReplyBytes: number;
  private readonly probeTimeoutMs: number;

  constructor(private readonly opts: HttpComputeClientOptions) {
    const base = opts.url.replace(/\/+$/, '');
    this.computeUrl = `${base}/compute`;
    this.healthUrl = `${base}/health`;
    this.maxReplyBytes = opts.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    this.probeTimeoutMs = opts.probeTimeoutMs ?? 5000;
  }

  /** `body` is `{"jobs": jobs}` serialised (the caller measured it against the provider's size limit). */
  async compute(jobs: RemoteJob[], body: string, timeoutMs: number): Promise<ExecOutcome[]> {
    const startedAt = performance.now();
    const elapsed = (): number => Math.round((performance.now() - startedAt) * 1000) / 1000;
    const name = this.opts.substrate;
    try {
      const res = await fetch(this.computeUrl, {
        method: 'POST',
        headers: await this.headers({ 'content-type': 'application/json' }),
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const reply = await readBoundedJson(res, this.maxReplyBytes);
      if (res.ok) return outcomesOfBatchReply(reply, jobs, name, elapsed());
      if (res.status === 429) return failEach(jobs.length, 'THROTTLED', `substrate ${name} is throttling requests (429)`, true, elapsed());
      const error = errorBodyOf(isPlainObject(reply) ? reply.error : undefined);
      if (res.status >= 500 || error === null) {
        return failEach(jobs.length, 'SUBSTRATE_FAILED', `substrate ${name} answered ${res.status}${error ? `: ${error.message}` : ''}`, true, elapsed());
      }
      return failEach(jobs.length, error.code, `substrate ${name} refused the request (${res.status}): ${error.message}`, isRetryableCode(error.code), elapsed());
    } catch (err) {
      return failEach(jobs.length, 'SUBSTRATE_FAILED', `substrate ${name} could not be reached: ${errorDetail(err)}`, true, elapsed());
    }
  }

  async health(): Promise<HealthReport> {
    const startedAt = performance.now();
    try {
      const res = await fetch(this.healthUrl, { headers: await this.headers({}), signal: AbortSignal.timeout(this.probeTimeoutMs) });
      const body = await readBoundedJson(res, 64 * 1024);
      const latency_ms = performance.now() - startedAt;
      if (!res.ok) return { healthy: false, latency_ms, detail: `GET /health answered ${res.status}` };
      const status = isPlainObject(body) ? body.status : undefined;
      if (status !== 'ok') return { healthy: false, latency_ms, detail: `GET /health reported status ${JSON.stringify(status)}` };
      return { healthy: true, latency_ms };
    } catch (err) {
      return { healthy: false, detail: `GET /health failed: ${errorDetail(err)}` };
    }
  }

  private async headers(base: Record<string, string>): Promise<Record<string, string>> {
    const authorization = await this.opts.authorization?.();
    return authorization === undefined ? base : { ...base, authorization };
  }
}

/** The network error's own words (fetch hides them in `cause`). */
export function errorDetail(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
