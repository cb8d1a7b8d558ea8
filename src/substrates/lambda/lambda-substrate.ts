import type { ErrorCode } from '../../errors.js';
import type { ExecOutcome, HealthReport } from '../substrate.js';
import { failEach, outcomesOfBatchReply } from '../http-compute/compute-reply.js';
import { RemoteSubstrate, type RemoteDefaults, type RemoteSubstrateOptions } from '../http-compute/remote-substrate.js';
import type { RemoteJob } from '../http-compute/remote-job.js';
import { type AwsClientOptions, importAwsModule } from '../aws/aws-sdk-module.js';
import type { LambdaInvoker, LambdaSdkModule } from './lambda-invoker.js';

/**
 * AWS Lambda, x86, first pricing tier: GB-seconds of the function's
 * configured memory plus a per-request fee. Sources in docs/pricing.md.
 */
export const LAMBDA_DEFAULTS: RemoteDefaults = {
  pricing: {
    pricing: { model: 'per_gb_second', usd_per_gb_second: 0.0000166667, usd_per_request: 0.20 / 1_000_000 },
    free_tier: { requests: 1_000_000, gb_seconds: 400_000 },
    cost_per_hour_usd: 0.0002,
  },
  // max_memory_mb is the function's memory size: set it to what the function was deployed with
  limits: { max_concurrent_jobs: 50_000, max_memory_mb: 1024, max_duration_seconds: 900, max_batch: 500, concurrency: 64 },
  latencyMs: 100,
  // synchronous Invoke payloads are capped at 6 MB
  maxRequestBytes: 6_000_000,
};

export interface LambdaSubstrateOptions extends RemoteSubstrateOptions, AwsClientOptions {
  functionName: string;
  /** version or alias */
  qualifier?: string;
}

/**
 * Jobs as synchronous (RequestResponse) Invokes of the Lambda runtime
 * (dist/runtimes/lambda/handler.js), one Invoke per request of up to
 * max_batch jobs in the `{jobs}` event form. The SDK's own retries are off:
 * a throttled or failed Invoke goes back to the dispatcher, which retries
 * with backoff or fails over, so one slow region does not hold jobs.
 *
 *   function error (X-Amz-Function-Error) → retryable SUBSTRATE_FAILED
 *   TooManyRequestsException (429)        → retryable THROTTLED
 *   any other SDK or network error        → retryable SUBSTRATE_FAILED
 */
export class LambdaSubstrate extends RemoteSubstrate {
  readonly type = 'lambda';
  private readonly clientOptions: AwsClientOptions;
  /**
   * The SDK client, made on first use: @aws-sdk/client-lambda costs about a
   * quarter second of CPU to load, which every `packetfs` process (and every
   * dispatcher test) would pay though most never invoke Lambda.
   */
  private invoker: Promise<LambdaInvoker> | undefined;
  private readonly functionName: string;
  private readonly qualifier: string | undefined;

  constructor(opts: LambdaSubstrateOptions) {
    super(opts, LAMBDA_DEFAULTS);
    this.functionName = opts.functionName;
    this.qualifier = opts.qualifier;
    this.clientOptions = {
      region: opts.region,
      ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
      ...(opts.credentials === undefined ? {} : { credentials: opts.credentials }),
    };
  }

  private sdk(): Promise<LambdaInvoker> {
    this.invoker ??= importAwsModule<LambdaSdkModule>(new URL('./lambda-sdk.js', import.meta.url)).then((m) => m.openLambdaInvoker(this.clientOptions));
    return this.invoker;
  }

  /** A `{"health": true}` event is a real Invoke that runs no job: it proves credentials, function and runtime. */
  async probe(): Promise<HealthReport> {
    const startedAt = performance.now();
    const outcome = await this.invoke('{"health":true}', 10_000);
    const latency_ms = performance.now() - startedAt;
    if ('failure' in outcome) return { healthy: false, latency_ms, detail: outcome.failure.message };
    const status = typeof outcome.body === 'object' && outcome.body !== null ? (outcome.body as { status?: unknown }).status : undefined;
    return status === 'ok' ? { healthy: true, latency_ms } : { healthy: false, latency_ms, detail: `the function's health reply says ${JSON.stringify(status)}` };
  }

  override async close(): Promise<void> {
    await super.close();
    if (this.invoker !== undefined) (await this.invoker).destroy();
  }

  protected async send(jobs: RemoteJob[], payload: string, timeoutMs: number): Promise<ExecOutcome[]> {
    const startedAt = performance.now();
    const outcome = await this.invoke(payload, timeoutMs);
    const elapsed = Math.round((performance.now() - startedAt) * 1000) / 1000;
    if ('failure' in outcome) return failEach(jobs.length, outcome.failure.code, outcome.failure.message, true, elapsed);
    return outcomesOfBatchReply(outcome.body, jobs, this.name, elapsed);
  }

  /** One Invoke: the parsed reply, or why the attempt failed. Never rejects. */
  private async invoke(payload: string, timeoutMs: number): Promise<{ body: unknown } | { failure: { code: ErrorCode; message: string } }> {
    try {
      const invoker = await this.sdk();
      const res = await invoker.invoke({ functionName: this.functionName, qualifier: this.qualifier, payload: new TextEncoder().encode(payload) }, AbortSignal.timeout(timeoutMs));
      const text = res.payload === undefined ? '' : new TextDecoder().decode(res.payload);
      if (res.functionError !== undefined) {
        return { failure: { code: 'SUBSTRATE_FAILED', message: `substrate ${this.name}: function error (${res.functionError}): ${functionErrorMessage(text)}` } };
      }
      try {
        return { body: JSON.parse(text) };
      } catch {
        return { failure: { code: 'SUBSTRATE_FAILED', message: `substrate ${this.name}: the function answered something that is not JSON` } };
      }
    } catch (err) {
      const name = err instanceof Error ? err.name : 'Error';
      const message = err instanceof Error ? err.message : String(err);
      if (name === 'TooManyRequestsException') return { failure: { code: 'THROTTLED', message: `substrate ${this.name} is throttled (429): ${message}` } };
      return { failure: { code: 'SUBSTRATE_FAILED', message: `substrate ${this.name}: Invoke failed (${name}): ${message}` } };
    }
  }
}

/** Lambda's error payload is {errorType, errorMessage, trace}; only the first two are shown. */
function functionErrorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { errorType?: unknown; errorMessage?: unknown };
    return `${String(body.errorType ?? 'Error')}: ${String(body.errorMessage ?? '').slice(0, 500)}`;
  } catch {
    return text.slice(0, 200);
  }
}
