/**
 * One error class for everything that can reach a user, an HTTP client or a
 * result record. Callers branch on `code` (stable), never on message text.
 * `status` is the HTTP status the API answers with; `path` names the field at
 * fault (dot/bracket path such as `program.ops[1].imm`) when there is one.
 */
export const ERROR_CODES = [
  'INVALID_JSON',          // body is not JSON
  'INVALID_JOB',           // job or program fails validation (path says where)
  'INVALID_REQUEST',       // query string, headers or non-job body fields
  'UNAUTHORIZED',          // missing or wrong bearer token
  'NOT_FOUND',             // unknown job, blob or route
  'METHOD_NOT_ALLOWED',    // the route exists, not with this method: 405 with Allow
  'PAYLOAD_TOO_LARGE',     // body, blob, batch or window over its limit
  'URI_TOO_LONG',          // a path segment (job or blob id) over the router's limit: 414
  'UNSUPPORTED_MEDIA_TYPE',
  'CONFLICT',              // e.g. cancelling a finished job
  'STORE_UNAVAILABLE',     // the job store (Redis) cannot be reached: 503
  'STORE_LOCKED',          // another process holds the SQLite store in this data dir
  'DATA_DIR_UNWRITABLE',   // the data dir (or its packetfs.db) cannot be created or written
  'SHUTTING_DOWN',         // dispatcher is draining: 503
  'QUEUE_FULL',            // too many queued jobs or inline bytes: 503 with Retry-After
  'WINDOW_OUT_OF_RANGE',   // offset/length past the end of the data
  'DATA_URL_FORBIDDEN',    // SSRF guard refused the address
  'DATA_FETCH_FAILED',     // data_url answered badly (status, length, network)
  'BLOB_NOT_FOUND',
  'TIMEOUT',               // job exceeded timeout_s
  'NO_SUBSTRATE',          // no healthy substrate can meet the job's constraints
  'SUBSTRATE_FAILED',      // the substrate broke (crash, HTTP 5xx, disconnect, an answer we cannot read)
  'THROTTLED',             // a cloud substrate refused for now (HTTP 429, Lambda TooManyRequests): attempt errors only, retried
  'LEASE_EXPIRED',         // the runner holding the job stopped or stalled past its lease: attempt errors only
  'RESULT_REJECTED',       // an untrusted node's result failed verification (attempt errors only)
  'INVALID_MESSAGE',       // a volunteer node sent a message outside the node protocol (WebSocket refusals)
  'CANCELLED',
  'UNREACHABLE',           // the SDK client cannot reach the server
  'TOO_MANY_STREAMS',      // every dashboard stream slot is taken: 429
  'BUDGET_EXCEEDED',       // no substrate can run the job within its max_cost_usd, or the budget is spent and it asked on_budget "fail" (docs/costs.md)
  'INTERNAL',
] as const;

/** The one closed set of error codes: HTTP replies, result records, attempt errors, node refusals. */
export type ErrorCode = typeof ERROR_CODES[number];

const ERROR_CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(v: unknown): v is ErrorCode {
  return typeof v === 'string' && ERROR_CODE_SET.has(v);
}

export class PacketFSError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly path: string | undefined;

  constructor(code: ErrorCode, message: string, opts: { status?: number; path?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PacketFSError';
    this.code = code;
    this.status = opts.status ?? defaultStatus(code);
    this.path = opts.path;
  }

  /** The wire shape used by the HTTP API and in result records. */
  toJSON(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.path !== undefined) body.path = this.path;
    return body;
  }
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  path?: string;
}

function defaultStatus(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_JSON': case 'INVALID_JOB': case 'INVALID_REQUEST':
    case 'WINDOW_OUT_OF_RANGE': case 'DATA_URL_FORBIDDEN':
      return 400;
    case 'UNAUTHORIZED': return 401;
    case 'NOT_FOUND': case 'BLOB_NOT_FOUND': return 404;
    case 'METHOD_NOT_ALLOWED': return 405;
    case 'URI_TOO_LONG': return 414;
    case 'CONFLICT': case 'STORE_LOCKED': return 409;
    case 'PAYLOAD_TOO_LARGE': return 413;
    case 'UNSUPPORTED_MEDIA_TYPE': return 415;
    case 'TOO_MANY_STREAMS': case 'THROTTLED': return 429;
    case 'BUDGET_EXCEEDED': return 402;
    case 'STORE_UNAVAILABLE': case 'SHUTTING_DOWN': case 'UNREACHABLE': case 'QUEUE_FULL': return 503;
    case 'DATA_FETCH_FAILED': return 502;
    case 'TIMEOUT': return 504;
    default: return 500;
  }
}

/** Failures that come from the job itself: running it again gives the same answer. */
const INPUT_ERROR_CODES: ReadonlySet<string> = new Set([
  'INVALID_JOB', 'WINDOW_OUT_OF_RANGE', 'DATA_URL_FORBIDDEN', 'BLOB_NOT_FOUND', 'PAYLOAD_TOO_LARGE',
]);

/** Whether a failure with this code may succeed on another attempt (network, timeout, crash, anything unforeseen). */
export function isRetryableCode(code: string): boolean {
  return !INPUT_ERROR_CODES.has(code);
}

/** Converts anything thrown into the wire error shape without leaking stack traces; a code outside the union becomes INTERNAL. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof PacketFSError) return err.toJSON();
  if (err && typeof err === 'object' && 'code' in err && 'message' in err && isErrorCode(err.code)) {
    const e = err as { code: ErrorCode; message: unknown; path?: unknown };
    return typeof e.path === 'string' ? { code: e.code, message: String(e.message), path: e.path } : { code: e.code, message: String(e.message) };
  }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
