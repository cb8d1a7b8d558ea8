import { PacketFSError, type ErrorCode } from '../errors.js';
import type { CostsReport, DispatcherApi, DryRunOutcome, JobListQuery, JobStatusView, MetricsReport, SubmitOutcome, SubstrateView } from '../dispatcher/api.js';
import type { JobStatus, ResultRecord } from '../job/types.js';
import type { ListPage } from '../store/job-store.js';
import type { SplitProgress } from '../split/split-progress.js';
import { readServerEvents } from './event-stream.js';
import type { NodeView } from '../substrates/node-pool/node-pool.js';
import type { VerificationStats } from '../substrates/node-pool/node-verifier.js';
import type { MintedToken, MintRequest } from '../trust/node-access.js';
import type { TokenRecord } from '../trust/node-ledger.js';
import { backoffDelayMs, type BackoffPolicy } from '../util/backoff.js';

/** between reconnects of a dropped event stream: 200 ms doubling, jittered (a restart drops every client) */
const STREAM_RETRY_BACKOFF: BackoffPolicy = { baseMs: 200, maxMs: 3_200, jitter: 'equal' };

export interface NodesReport {
  nodes: NodeView[];
  /** whether nodes must present a node token or join token */
  require_credential: boolean;
  verification: VerificationStats;
}

/**
 * The HTTP client: the DispatcherApi over the wire, plus blob upload and a
 * blocking wait.
 * Server errors become PacketFSError with the server's code, message, path
 * and status; a server that cannot be reached is UNREACHABLE (status 503).
 */
export interface ClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  token?: string;
  fetch?: typeof fetch;
}

export interface BlobInfo {
  blob_id: string;
  size: number;
  crc32c: number;
}

export type BlobBody = Uint8Array | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

/** What GET /v1/jobs/:id/result answered. */
export type ResultPoll =
  | { state: 'finished'; record: ResultRecord }
  | { state: 'pending'; status: JobStatus }
  | { state: 'unknown' };

/** What onProgress receives: the job's status and, for a split job, its progress. */
export interface ProgressEvent {
  job_id: string;
  status: JobStatus;
  progress?: SplitProgress;
}

export interface WaitOptions {
  /** give up (TIMEOUT) after this many seconds */
  timeoutS?: number;
  /** called with the job's status and progress as they change (GET /v1/jobs/:id/events) */
  onProgress?: (event: ProgressEvent) => void;
}

/** The server's longest long-poll; longer waits are several requests. */
const MAX_WAIT_PER_REQUEST_S = 60;

export class Client implements DispatcherApi {
  private readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly fetchFn: typeof fetch;

  constructor(opts: ClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.token = opts.token;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
  }

  async submitJob(input: unknown): Promise<SubmitOutcome> {
    return this.json<SubmitOutcome>('POST', '/v1/jobs', { body: input });
  }

  /** One request: the server validates the whole batch (at most 10,000 jobs) before storing any of it. */
  async submitJobs(inputs: unknown[]): Promise<SubmitOutcome[]> {
    const reply = await this.json<{ job_ids: string[]; created: boolean[]; statuses: JobStatus[] }>(
      'POST', '/v1/jobs', { body: { jobs: inputs } });
    return reply.job_ids.map((job_id, i) => ({ job_id, created: reply.created[i]!, status: reply.statuses[i]! }));
  }

  async dryRunJob(input: unknown): Promise<DryRunOutcome> {
    return this.json<DryRunOutcome>('POST', '/v1/jobs?dry_run=1', { body: input });
  }

  async dryRunJobs(inputs: unknown[]): Promise<DryRunOutcome[]> {
    return (await this.json<{ jobs: DryRunOutcome[] }>('POST', '/v1/jobs?dry_run=1', { body: { jobs: inputs } })).jobs;
  }

  async getJob(jobId: string): Promise<JobStatusView | null> {
    const response = await this.request('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
    if (response.status === 404) {
      await response.arrayBuffer();
      return null;
    }
    if (!response.ok) throw await errorFrom(response);
    return await response.json() as JobStatusView;
  }

  /** The result, or null when not finished within `wait` seconds (or unknown). */
  async getResult(jobId: string, opts: { wait?: number } = {}): Promise<ResultRecord | null> {
    const poll = await this.pollResult(jobId, opts.wait ?? 0);
    return poll.state === 'finished' ? poll.record : null;
  }

  /** Like getResult but tells "not finished" from "unknown job"; waits longer than 60 s loop. */
  async pollResult(jobId: string, waitS = 0): Promise<ResultPoll> {
    const deadline = Date.now() + waitS * 1000;
    for (;;) {
      const remainingS = Math.max(0, (deadline - Date.now()) / 1000);
      const wait = Math.min(remainingS, MAX_WAIT_PER_REQUEST_S);
      const response = await this.request('GET', `/v1/jobs/${encodeURIComponent(jobId)}/result?wait=${wait.toFixed(3)}`);
      if (response.status === 404) return { state: 'unknown' };
      if (!response.ok) throw await errorFrom(response);
      if (response.status === 200) return { state: 'finished', record: await response.json() as ResultRecord };
      const pending = await response.json() as { status: JobStatus };
      if (Date.now() >= deadline) return { state: 'pending', status: pending.status };
    }
  }

  /**
   * Waits until the job finishes (at most timeoutS seconds when given) and
   * returns its record, whatever the outcome. Throws NOT_FOUND for an unknown
   * job and TIMEOUT when it is still unfinished at the limit.
   */
  async waitForResult(jobId: string, opts: WaitOptions = {}): Promise<ResultRecord> {
    if (opts.onProgress !== undefined) return this.watchJob(jobId, opts.onProgress, opts.timeoutS ?? Infinity);
    const limitS = opts.timeoutS ?? Infinity;
    const started = Date.now();
    for (;;) {
      const remainingS = limitS - (Date.now() - started) / 1000;
      const poll = await this.pollResult(jobId, Math.max(0, Math.min(remainingS, MAX_WAIT_PER_REQUEST_S)));
      if (poll.state === 'finished') return poll.record;
      if (poll.state === 'unknown') throw new PacketFSError('NOT_FOUND', `no job ${JSON.stringify(jobId)}`);
      if (remainingS <= MAX_WAIT_PER_REQUEST_S) {
        throw new PacketFSError('TIMEOUT', `job ${jobId} is still ${poll.status} after ${limitS} s`);
      }
    }
  }

  /**
   * Follows the job's event stream, calling onProgress on each change, until
   * its result arrives; reconnects when the stream drops (the server sends
   * the current state on every connect).
   */
  private async watchJob(jobId: string, onProgress: (event: ProgressEvent) => void, limitS: number): Promise<ResultRecord> {
    const deadline = Date.now() + limitS * 1000;
    const timeout = (): PacketFSError => new PacketFSError('TIMEOUT', `job ${jobId} is still unfinished after ${limitS} s`);
    for (let drops = 0; ; drops++) {
      if (Date.now() >= deadline) throw timeout();
      const abort = new AbortController();
      const timer = Number.isFinite(limitS) ? setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now())) : undefined;
      try {
        const response = await this.request('GET', `/v1/jobs/${encodeURIComponent(jobId)}/events`, { accept: 'text/event-stream', signal: abort.signal });
        if (!response.ok) throw await errorFrom(response);
        if (response.body === null) throw new PacketFSError('INTERNAL', 'the event stream has no body');
        for await (const { event, data } of readServerEvents(response.body)) {
          if (event === 'progress') onProgress(JSON.parse(data) as ProgressEvent);
          else if (event === 'result') return JSON.parse(data) as ResultRecord;
          else if (event === 'error') {
            const body = (JSON.parse(data) as { error: { code: string; message: string } }).error;
            throw new PacketFSError(body.code as ErrorCode, body.message);
          }
        }
      } catch (err) {
        if (abort.signal.aborted) throw timeout();
        // a dropped stream (server restart, proxy) is retried a few times; errors the server sent are not
        if (!(err instanceof PacketFSError && err.code === 'UNREACHABLE') && !(err instanceof TypeError) || drops >= 5) throw err;
      } finally {
        clearTimeout(timer);
      }
      await new Promise((r) => setTimeout(r, backoffDelayMs(STREAM_RETRY_BACKOFF, drops)));
    }
  }

  async cancel(jobId: string): Promise<'cancelled' | 'not_found' | 'finished'> {
    const response = await this.request('DELETE', `/v1/jobs/${encodeURIComponent(jobId)}`);
    if (response.status === 404) return 'not_found';
    if (response.status === 409) return 'finished';
    if (!response.ok) throw await errorFrom(response);
    await response.arrayBuffer();
    return 'cancelled';
  }

  async listJobs(query: JobListQuery): Promise<ListPage> {
    const params = new URLSearchParams({ status: query.status, limit: String(query.limit) });
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    if (query.children === true) params.set('children', '1');
    return this.json<ListPage>('GET', `/v1/jobs?${params}`);
  }

  async getMetrics(limit?: number): Promise<MetricsReport> {
    return this.json<MetricsReport>('GET', limit === undefined ? '/v1/metrics' : `/v1/metrics?limit=${limit}`);
  }

  async listSubstrates(): Promise<SubstrateView[]> {
    return (await this.json<{ substrates: SubstrateView[] }>('GET', '/v1/substrates')).substrates;
  }

  /**
   * The server's readiness report (GET /readyz), also when it is not ready
   * (HTTP 503 carries the same report): whether the store is reachable and
   * durable, how many substrates are healthy.
   */
  async readiness(): Promise<ReadinessReport> {
    const response = await this.request('GET', '/readyz');
    if (!response.ok && response.status !== 503) throw await errorFrom(response);
    const body = await response.json() as ReadinessReport;
    return { ready: body.ready === true, store: body.store === true, substrates: Number(body.substrates) || 0,
      ...(typeof body.store_warning === 'string' ? { store_warning: body.store_warning } : {}) };
  }

  async getCosts(): Promise<CostsReport> {
    return this.json<CostsReport>('GET', '/v1/costs');
  }

  /** Connected volunteer nodes with their reputation, and the verifier's totals. */
  async listNodes(): Promise<NodesReport> {
    return this.json<NodesReport>('GET', '/v1/nodes');
  }

  /** Bans a node: its connection closes and its id (and join token) are refused from now on. */
  async banNode(nodeId: string): Promise<void> {
    await this.json('DELETE', `/v1/nodes/${encodeURIComponent(nodeId)}`);
  }

  /** Mints a join token for one node; the token string is in the reply only. */
  async createNodeToken(req: MintRequest = {}): Promise<MintedToken> {
    return this.json<MintedToken>('POST', '/v1/nodes/tokens', { body: req });
  }

  async listNodeTokens(): Promise<TokenRecord[]> {
    return (await this.json<{ tokens: TokenRecord[] }>('GET', '/v1/nodes/tokens')).tokens;
  }

  async revokeNodeToken(id: string): Promise<void> {
    await this.json('DELETE', `/v1/nodes/tokens/${encodeURIComponent(id)}`);
  }

  /** Streams the data to PUT /v1/blobs; use the blob_id as a program's `blob`. `onProgress` gets the bytes sent so far. */
  async uploadBlob(data: BlobBody, opts: { onProgress?: (bytesSent: number) => void } = {}): Promise<BlobInfo> {
    const counted = opts.onProgress === undefined || data instanceof Uint8Array ? data : countBytes(data, opts.onProgress);
    const body = (counted instanceof Uint8Array || counted instanceof ReadableStream ? counted : readableFrom(counted)) as BodyInit;
    const response = await this.request('PUT', '/v1/blobs', { body, contentType: 'application/octet-stream' });
    if (!response.ok) throw await errorFrom(response);
    if (data instanceof Uint8Array) opts.onProgress?.(data.length);
    return await response.json() as BlobInfo;
  }

  /** Nothing to release: each call is its own request. */
  async close(): Promise<void> {}

  private async json<T>(method: string, path: string, opts: { body?: unknown } = {}): Promise<T> {
    const response = await this.request(method, path,
      opts.body === undefined ? {} : { body: JSON.stringify(opts.body), contentType: 'application/json' });
    if (!response.ok) throw await errorFrom(response);
    return await response.json() as T;
  }

  private async request(method: string, path: string, opts: { body?: BodyInit; contentType?: string; accept?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
    const init: RequestInit & { duplex?: 'half' } = { method, headers };
    if (opts.signal !== undefined) init.signal = opts.signal;
    if (opts.body !== undefined) {
      init.body = opts.body;
      // Node's fetch needs this to send a streamed body
      if (opts.body instanceof ReadableStream) init.duplex = 'half';
    }
    const url = this.baseUrl + path;
    try {
      return await this.fetchFn(url, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new PacketFSError('UNREACHABLE', `cannot reach the PacketFS server at ${this.baseUrl}: ${detail}`, { status: 503, cause: err });
    }
  }
}

/** GET /readyz: see ReadyReport in src/server/served-dispatcher.ts. */
export interface ReadinessReport {
  ready: boolean;
  store: boolean;
  substrates: number;
  /** the store can lose acknowledged jobs on a restart */
  store_warning?: string;
}

async function errorFrom(response: Response): Promise<PacketFSError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; path?: unknown } };
    const error = body.error;
    if (error && typeof error.code === 'string' && typeof error.message === 'string') {
      const opts: { status: number; path?: string } = { status: response.status };
      if (typeof error.path === 'string') opts.path = error.path;
      // the server's code is passed on as is, so callers can branch on codes newer than this client
      return new PacketFSError(error.code as ErrorCode, error.message, opts);
    }
  } catch {
    // not our error shape (a proxy in between, say): described below
  }
  return new PacketFSError('INTERNAL', `unexpected reply HTTP ${response.status}: ${text.slice(0, 200)}`, { status: response.status });
}

/** Passes a body through, reporting the running byte count. */
async function* countBytes(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>, onProgress: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  let sent = 0;
  for await (const chunk of source as AsyncIterable<Uint8Array>) {
    sent += chunk.length;
    onProgress(sent);
    yield chunk;
  }
}

function readableFrom(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}
