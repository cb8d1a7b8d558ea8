import { PacketFSError } from '../errors.js';
import { resolveWindow, windowTooLarge } from './window-bounds.js';

/**
 * How an HTTP reply to a Range request becomes a window. Runtime-neutral: the
 * fetch-based reader (browsers, workerd) and the node:http one (dispatcher,
 * worker threads) both adapt their response to `RangeReply` and come here, so
 * the rules of contracts §2 live in one place:
 *
 *   206  the body IS the window. Content-Range must start at the offset and the
 *        body must be exactly as long as it says. It is never sliced again (the
 *        original sliced twice).
 *   200  the server ignored Range and sends the whole file: skip `offset` bytes
 *        without keeping them, keep `length`, and stop reading as soon as we
 *        have them, so a small window of a huge file costs offset+length bytes
 *        of transfer and only `length` bytes of memory.
 *   416  the window is past the end, except the empty window exactly at the end.
 *   3xx  refused: a public URL could redirect to a private address, and the
 *        SSRF guard only vets the address we connect to first.
 */
export interface RangeReply {
  status: number;
  /** header value by lower-case name, null when absent */
  header(name: string): string | null;
  /** true when the runtime already undid Content-Encoding (fetch does), so Content-Length counts other bytes */
  bodyDecoded: boolean;
  /** next body chunk, null at the end of the body */
  read(): Promise<Uint8Array | null>;
  /** stops the transfer once we have what we need (or gave up); safe to call more than once */
  cancel(): void;
}

export interface RangeRequest {
  url: string;
  offset: number;
  length: number | null;
  /** largest window we agree to hold in memory */
  maxBytes: number;
  signal?: AbortSignal | undefined;
}

const DATA_URL_PATH = 'program.data_url';

/** The Range header for a window, or null when the whole body is wanted. */
export function rangeHeaderFor(offset: number, length: number | null): string | null {
  if (length === null) return offset === 0 ? null : `bytes=${offset}-`;
  // An empty window still has to be inside the file; asking for the byte at
  // `offset` makes the server tell us (206: it is; 416 with the size: maybe at the end).
  if (length === 0) return `bytes=${offset}-${offset}`;
  return `bytes=${offset}-${offset + length - 1}`;
}

/** Parses a data_url into an http(s) URL; anything else is a job error, not a fetch failure. */
export function parseDataUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PacketFSError('INVALID_JOB',
      'data_url must be an absolute http(s) URL or /v1/blobs/<id>', { path: DATA_URL_PATH });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PacketFSError('INVALID_JOB',
      `data_url scheme ${parsed.protocol} is not supported; use http or https`, { path: DATA_URL_PATH });
  }
  return parsed;
}

/**
 * The URL as it may appear in error messages and result records: origin and
 * path only, because query strings often carry credentials (presigned URLs).
 */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export function fetchFailed(message: string, cause?: unknown): PacketFSError {
  return new PacketFSError('DATA_FETCH_FAILED', message, { path: DATA_URL_PATH, cause });
}

export function redirectRefused(url: string, status: number | null): PacketFSError {
  const what = status === null ? 'a redirect' : `redirect ${status}`;
  return fetchFailed(`${describeUrl(url)} answered with ${what}; redirects are not followed ` +
    'because one could lead to a private address the SSRF guard never saw');
}

/** The error for an aborted read: the signal's reason decides between TIMEOUT and CANCELLED. */
export function abortError(signal: AbortSignal): PacketFSError {
  const reason: unknown = signal.reason;
  if (reason instanceof PacketFSError) return reason;
  if (isTimeoutReason(reason)) {
    return new PacketFSError('TIMEOUT', 'the job timed out while reading its data', { cause: reason });
  }
  return new PacketFSError('CANCELLED', 'reading the data was cancelled', { cause: reason });
}

function isTimeoutReason(reason: unknown): boolean {
  if (typeof reason === 'string') return /time(d)? ?out/i.test(reason);
  if (typeof reason !== 'object' || reason === null) return false;
  const { name, code } = reason as { name?: unknown; code?: unknown };
  return name === 'TimeoutError' || code === 'TIMEOUT' || code === 'ETIMEDOUT';
}

/** Turns whatever a transfer threw into a PacketFSError, preferring the abort reason. */
export function readFailure(err: unknown, req: RangeRequest): PacketFSError {
  if (req.signal?.aborted) return abortError(req.signal);
  if (err instanceof PacketFSError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return fetchFailed(`fetching ${describeUrl(req.url)} failed: ${detail}`, err);
}

/** Reads the window out of a reply; always leaves the reply finished or cancelled. */
export async function readRangeReply(reply: RangeReply, req: RangeRequest): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const kept = await streamRangeReply(reply, req, (chunk) => { parts.push(chunk); });
  return kept === null ? new Uint8Array(0) : concat(parts, kept);
}

/**
 * Like readRangeReply, but hands the window to `sink` chunk by chunk as it
 * arrives instead of holding it: a consumer that folds chunks (op-stream.ts)
 * needs O(chunk) memory whatever the window size. Every check happens as in
 * readRangeReply; a check that can only fail at the end (a short body) fails
 * after the sink saw the bytes, so a sink must not publish anything before
 * this resolves. Resolves with the number of bytes sunk (null: empty window
 * learnt from a 416).
 */
export async function streamRangeReply(reply: RangeReply, req: RangeRequest, sink: (chunk: Uint8Array) => void): Promise<number | null> {
  try {
    if (reply.status === 206) return await readPartial(reply, req, sink);
    if (reply.status === 200) return await readWhole(reply, req, sink);
    reply.cancel();
    if (reply.status === 416) {
      unsatisfiable(reply, req);
      return null;
    }
    if (reply.status >= 300 && reply.status < 400) throw redirectRefused(req.url, reply.status);
    throw fetchFailed(`${describeUrl(req.url)} answered HTTP ${reply.status}`);
  } catch (err) {
    reply.cancel();
    throw readFailure(err, req);
  }
}

async function readPartial(reply: RangeReply, req: RangeRequest, sink: (chunk: Uint8Array) => void): Promise<number> {
  const range = parseContentRange(reply.header('content-range'));
  if (range === null) throw fetchFailed(`${describeUrl(req.url)} sent 206 without a valid Content-Range`);
  if (range.start !== req.offset) {
    throw fetchFailed(`asked ${describeUrl(req.url)} for bytes from ${req.offset}, it sent bytes from ${range.start}`);
  }
  if (encoded(reply)) throw fetchFailed(`${describeUrl(req.url)} sent a compressed partial reply`);
  const sent = range.end - range.start + 1;
  if (req.length === 0) {
    // We asked for the byte at `offset` only to learn that it exists.
    reply.cancel();
    return 0;
  }
  if (req.length === null) {
    if (range.total !== null && range.end + 1 !== range.total) {
      throw fetchFailed(`${describeUrl(req.url)} sent bytes ${range.start}-${range.end} of ${range.total}, not the rest of the file`);
    }
  } else if (sent !== req.length) {
    if (sent < req.length && range.total !== null) resolveWindow(range.total, req.offset, req.length);
    throw fetchFailed(`asked ${describeUrl(req.url)} for ${req.length} bytes, its Content-Range says ${sent}`);
  }
  if (sent > req.maxBytes) throw windowTooLarge(sent, req.maxBytes);
  const declared = parseLength(reply.header('content-length'));
  if (declared !== null && declared !== sent) {
    throw fetchFailed(`${describeUrl(req.url)} sent Content-Length ${declared} for a ${sent}-byte Content-Range`);
  }
  const body = await collect(reply, { skip: 0, keep: sent, maxBytes: req.maxBytes, stopWhenFull: false }, sink);
  if (body.overflow) throw fetchFailed(`${describeUrl(req.url)} sent more bytes than its Content-Range (${sent})`);
  if (body.kept !== sent) {
    throw fetchFailed(`${describeUrl(req.url)} ended after ${body.kept} of ${sent} bytes`);
  }
  return body.kept;
}

async function readWhole(reply: RangeReply, req: RangeRequest, sink: (chunk: Uint8Array) => void): Promise<number> {
  const isEncoded = encoded(reply);
  if (isEncoded && !reply.bodyDecoded) {
    throw fetchFailed(`${describeUrl(req.url)} sent a compressed body, which cannot be windowed`);
  }
  // After decoding, Content-Length counts compressed bytes, so it says nothing about the window.
  const declared = isEncoded ? null : parseLength(reply.header('content-length'));
  if (declared !== null) {
    const { start, end } = resolveWindow(declared, req.offset, req.length);
    if (end - start > req.maxBytes) throw windowTooLarge(end - start, req.maxBytes);
  }
  if (req.length !== null && req.length > req.maxBytes) throw windowTooLarge(req.length, req.maxBytes);

  const body = await collect(reply, { skip: req.offset, keep: req.length, maxBytes: req.maxBytes, stopWhenFull: true }, sink);
  if (body.ended) {
    if (declared !== null && body.seen !== declared) {
      throw fetchFailed(`${describeUrl(req.url)} ended after ${body.seen} of ${declared} bytes`);
    }
    resolveWindow(body.seen, req.offset, req.length);
  }
  return body.kept;
}

/** Returns when the 416 means the empty window exactly at the end; throws otherwise. */
function unsatisfiable(reply: RangeReply, req: RangeRequest): void {
  const match = /^bytes \*\/(\d+)$/i.exec(reply.header('content-range')?.trim() ?? '');
  const total = match ? Number(match[1]) : null;
  if (total !== null) {
    // An empty window exactly at the end is valid, but no byte range can name it.
    if (total === req.offset && (req.length === null || req.length === 0)) return;
    resolveWindow(total, req.offset, req.length);
  }
  throw new PacketFSError('WINDOW_OUT_OF_RANGE',
    `the window at offset ${req.offset} is past the end of ${describeUrl(req.url)} (416 Range Not Satisfiable)`,
    { path: req.length === null ? 'program.offset' : 'program.length' });
}

interface Collected {
  /** body bytes handed to the sink */
  kept: number;
  /** body bytes read, including skipped ones */
  seen: number;
  /** the body ended (rather than us stopping early) */
  ended: boolean;
  /** more bytes arrived than `keep` (only when not stopping when full) */
  overflow: boolean;
}

/** Streams the body into `sink`, discarding the first `skip` bytes and passing on at most `keep` (null: all) of the rest. */
async function collect(reply: RangeReply,
  opts: { skip: number; keep: number | null; maxBytes: number; stopWhenFull: boolean }, sink: (chunk: Uint8Array) => void): Promise<Collected> {
  let seen = 0;
  let kept = 0;
  for (;;) {
    if (opts.stopWhenFull && opts.keep !== null && kept === opts.keep && seen >= opts.skip) {
      reply.cancel();
      return { kept, seen, ended: false, overflow: false };
    }
    const chunk = await reply.read();
    if (chunk === null) return { kept, seen, ended: true, overflow: false };
    const chunkStart = seen;
    seen += chunk.length;
    if (seen <= opts.skip) continue;
    const from = Math.max(0, opts.skip - chunkStart);
    let take = chunk.length - from;
    if (opts.keep !== null && kept + take > opts.keep) {
      if (!opts.stopWhenFull) {
        reply.cancel();
        return { kept, seen, ended: false, overflow: true };
      }
      take = opts.keep - kept;
    }
    if (kept + take > opts.maxBytes) throw windowTooLarge(kept + take, opts.maxBytes);
    sink(chunk.subarray(from, from + take));
    kept += take;
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 0) return new Uint8Array(0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function encoded(reply: RangeReply): boolean {
  const encoding = reply.header('content-encoding')?.trim().toLowerCase();
  return encoding !== undefined && encoding !== '' && encoding !== 'identity';
}

export function parseLength(value: string | null): number | null {
  if (value === null || !/^\s*\d+\s*$/.test(value)) return null;
  return Number(value);
}

export function parseContentRange(value: string | null): { start: number; end: number; total: number | null } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (!match) return null;
  const start = Number(match[1]);
  const end = Number(match[2]);
  const total = match[3] === '*' ? null : Number(match[3]);
  if (end < start || (total !== null && end >= total)) return null;
  return { start, end, total };
}
