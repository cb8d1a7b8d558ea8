import { PacketFSError } from '../errors.js';
import type { ProgramSpec } from '../job/types.js';
import { ProgramStream } from '../ops/op-stream.js';
import { runOps } from '../ops/run-op.js';
import type { OpResult } from '../ops/types.js';
import { assertWindowArgs, resolveWindow, windowTooLarge } from './window-bounds.js';
import { isBlobId } from './own-blob-url.js';
import {
  abortError, parseDataUrl, rangeHeaderFor, readFailure, readRangeReply, redirectRefused, streamRangeReply,
  type RangeReply, type RangeRequest,
} from './range-reply.js';

/**
 * Reading a program's window (contracts §2). Runtime-neutral — no Node imports —
 * because the browser, Cloudflare and Lambda runtimes run the same code; each
 * runtime supplies a WindowContext with its own base64 decoder, blob access
 * and HTTP client (see node-window-context.ts for the Node one).
 */
export interface WindowContext {
  decodeBase64(s: string): Uint8Array;
  /** reads [offset, offset+length) of a blob of the dispatcher's store; absent where no store is reachable */
  readBlob?(id: string, offset: number, length: number | null): Promise<Uint8Array>;
  /**
   * reads the same window chunk by chunk into a reused buffer, calling `visit`
   * on each, and resolves with the byte count; where present, blob jobs use it
   * instead of readBlob so no window-sized copy is ever made
   */
  scanBlob?(id: string, offset: number, length: number | null, visit: (chunk: Uint8Array) => void, signal?: AbortSignal): Promise<number>;
  fetchRange(url: string, offset: number, length: number | null, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * The window of a URL handed to `sink` chunk by chunk as it arrives (resolves
   * with its length); where present, runWindowProgram streams data_url
   * windows through op streams and never holds a window.
   */
  streamRange?(url: string, offset: number, length: number | null, signal: AbortSignal | undefined, sink: (chunk: Uint8Array) => void): Promise<number>;
  /** the blob id when `url` names the dispatcher's own blob store, so it is read without HTTP */
  ownBlobId?(url: string): string | null;
  signal?: AbortSignal;
  maxWindowBytes: number;
}

/** Default cap on one window held in memory. */
export const DEFAULT_MAX_WINDOW_BYTES = 256 * 1024 * 1024;

export async function readWindow(program: ProgramSpec, ctx: WindowContext): Promise<Uint8Array> {
  const { offset, length } = program;
  assertWindowArgs(offset, length);
  if (length !== null && length > ctx.maxWindowBytes) throw windowTooLarge(length, ctx.maxWindowBytes);
  const window = await readSource(program, ctx);
  if (window.length > ctx.maxWindowBytes) throw windowTooLarge(window.length, ctx.maxWindowBytes);
  return window;
}

/**
 * Runs ops somewhere other than the CPU kernels (a browser's WebGPU device),
 * which needs the whole window: `wants` says from the ops and the window's
 * declared length whether it takes the program, before anything is read.
 */
export interface OpsOffload {
  wants(ops: ProgramSpec['ops'], length: number | null): boolean;
  run(ops: ProgramSpec['ops'], bytes: Uint8Array): Promise<OpResult[]>;
}

/**
 * Reads the program's window and runs its ops, holding as little of it as
 * the source allows:
 *  - a blob of the dispatcher's store, where the context can scan blobs
 *    (Node: zero-copy, blob-scan.ts), streams from the file through op
 *    streams a chunk at a time;
 *  - a data_url window (other than the dispatcher's own blobs) is streamed
 *    through op streams when the context can stream, so the job holds one
 *    chunk at a time, whatever the window's size — maxWindowBytes bounds what
 *    is held, and nothing is; the job's timeout bounds how long it reads;
 *  - an `offload` that wants the program (large windows of GPU ops) gets the
 *    window whole, as do all other sources.
 */
export async function runWindowProgram(program: ProgramSpec, ctx: WindowContext, offload?: OpsOffload): Promise<{ results: OpResult[]; bytes: number }> {
  if (offload !== undefined && program.data === undefined && offload.wants(program.ops, program.length)) {
    const window = await readWindow(program, ctx);
    return { results: await offload.run(program.ops, window), bytes: window.length };
  }
  const blob = ctx.scanBlob === undefined || program.data !== undefined ? null : programBlob(program, ctx);
  if (blob !== null && ctx.scanBlob !== undefined) {
    const stream = new ProgramStream(program.ops, program.fnv_state);
    const bytes = await scanBlobWindow(program, blob, { ...ctx, scanBlob: ctx.scanBlob }, (chunk) => stream.update(chunk));
    return { results: stream.finish(), bytes };
  }
  const url = program.data_url;
  if (url !== undefined && program.data === undefined && program.blob === undefined && ctx.streamRange !== undefined && (ctx.ownBlobId?.(url) ?? null) === null) {
    assertWindowArgs(program.offset, program.length);
    const stream = new ProgramStream(program.ops, program.fnv_state);
    if (ctx.signal?.aborted) throw abortError(ctx.signal);
    const bytes = await ctx.streamRange(url, program.offset, program.length, ctx.signal, (chunk) => stream.update(chunk));
    return { results: stream.finish(), bytes };
  }
  if (!Array.isArray(program.ops) || program.ops.length === 0) {
    throw new PacketFSError('INVALID_JOB', 'program needs at least one op', { path: 'program.ops' });
  }
  const window = await readWindow(program, ctx);
  return { results: runOps(program.ops, window, program.fnv_state), bytes: window.length };
}

/**
 * The window of inline data, synchronously: decoding and slicing are pure
 * CPU, so the local pool runs many of these in a tight loop without a
 * promise per job (readWindow uses it too, so both paths check the same).
 */
export function readInlineWindow(program: ProgramSpec, ctx: WindowContext): Uint8Array {
  const { offset, length } = program;
  assertWindowArgs(offset, length);
  if (typeof program.data !== 'string') {
    throw new PacketFSError('INVALID_JOB', 'data must be a base64 string', { path: 'program.data' });
  }
  const bytes = ctx.decodeBase64(program.data);
  const { start, end } = resolveWindow(bytes.length, offset, length);
  if (end - start > ctx.maxWindowBytes) throw windowTooLarge(end - start, ctx.maxWindowBytes);
  return bytes.subarray(start, end);
}

/**
 * The blob of the dispatcher's store that a program reads, named by `blob` or
 * by an own /v1/blobs/<id> data_url, with the program field that named it;
 * null for inline data and foreign URLs.
 */
export function programBlob(program: ProgramSpec, ctx: WindowContext): { id: string; path: string } | null {
  if (program.data !== undefined) return null;
  if (program.blob !== undefined) {
    if (!isBlobId(program.blob)) {
      throw new PacketFSError('INVALID_JOB', 'blob must be a blob id: 32 lowercase hex digits', { path: 'program.blob' });
    }
    return { id: program.blob, path: 'program.blob' };
  }
  if (program.data_url !== undefined) {
    const ownId = ctx.ownBlobId?.(program.data_url) ?? null;
    if (ownId !== null) return { id: ownId, path: 'program.data_url' };
  }
  return null;
}

/**
 * Streams a program's blob window through `visit` (ctx.scanBlob), with the
 * same checks and errors as readWindow; resolves with the byte count.
 */
export async function scanBlobWindow(program: ProgramSpec, blob: { id: string; path: string }, ctx: WindowContext & Required<Pick<WindowContext, 'scanBlob'>>,
  visit: (chunk: Uint8Array) => void): Promise<number> {
  const { offset, length } = program;
  assertWindowArgs(offset, length);
  if (length !== null && length > ctx.maxWindowBytes) throw windowTooLarge(length, ctx.maxWindowBytes);
  return withBlobPath(blob.path, () => ctx.scanBlob(blob.id, offset, length, visit, ctx.signal));
}

async function readSource(program: ProgramSpec, ctx: WindowContext): Promise<Uint8Array> {
  const { offset, length } = program;
  if (program.data !== undefined) return readInlineWindow(program, ctx);
  const blob = programBlob(program, ctx);
  if (blob !== null) return readOwnBlob(ctx, blob.id, offset, length, blob.path);
  if (program.data_url !== undefined) {
    if (ctx.signal?.aborted) throw abortError(ctx.signal);
    return ctx.fetchRange(program.data_url, offset, length, ctx.signal);
  }
  throw new PacketFSError('INVALID_JOB', 'program has no data source: give data, data_url or blob', { path: 'program' });
}

async function readOwnBlob(ctx: WindowContext, id: string, offset: number, length: number | null, path: string): Promise<Uint8Array> {
  if (!ctx.readBlob) {
    throw new PacketFSError('BLOB_NOT_FOUND', `blob ${id} cannot be read here: this runtime has no access to the blob store`, { path });
  }
  const readBlob = ctx.readBlob;
  return withBlobPath(path, () => readBlob(id, offset, length));
}

async function withBlobPath<T>(path: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    // The store names its own parameter; the job's user needs the program field.
    if (err instanceof PacketFSError && err.code === 'BLOB_NOT_FOUND' && err.path !== path) {
      throw new PacketFSError('BLOB_NOT_FOUND', err.message, { path, cause: err });
    }
    throw err;
  }
}

/**
 * A Range reader over any WHATWG fetch (browsers, workerd, Node's undici).
 * Redirects are not followed: a public URL could redirect to a private
 * address, and only the first address is vetted (where a guard exists at all).
 */
export async function fetchRangeWith(fetchImpl: typeof fetch, url: string, offset: number, length: number | null,
  opts: { signal?: AbortSignal | undefined; maxBytes: number }): Promise<Uint8Array> {
  return withFetchedReply(fetchImpl, url, offset, length, opts, readRangeReply);
}

/**
 * fetchRangeWith's streaming twin: the window goes to `sink` chunk by chunk
 * straight off the response body (no concatenated copy), for op streams.
 */
export async function streamRangeWith(fetchImpl: typeof fetch, url: string, offset: number, length: number | null,
  opts: { signal?: AbortSignal | undefined }, sink: (chunk: Uint8Array) => void): Promise<number> {
  const unbounded = { signal: opts.signal, maxBytes: Number.MAX_SAFE_INTEGER };
  return withFetchedReply(fetchImpl, url, offset, length, unbounded, async (reply, req) => (await streamRangeReply(reply, req, sink)) ?? 0);
}

async function withFetchedReply<T>(fetchImpl: typeof fetch, url: string, offset: number, length: number | null,
  opts: { signal?: AbortSignal | undefined; maxBytes: number }, use: (reply: RangeReply, req: RangeRequest) => Promise<T>): Promise<T> {
  assertWindowArgs(offset, length);
  parseDataUrl(url);
  const req: RangeRequest = { url, offset, length, maxBytes: opts.maxBytes, signal: opts.signal };
  if (opts.signal?.aborted) throw abortError(opts.signal);
  // Browsers drop Accept-Encoding (a forbidden header); elsewhere it keeps byte counts honest.
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  const range = rangeHeaderFor(offset, length);
  if (range !== null) headers.range = range;
  let response: Response;
  try {
    response = await fetchImpl(url, { headers, redirect: 'manual', signal: opts.signal ?? null });
  } catch (err) {
    throw readFailure(err, req);
  }
  // Browsers hide manual redirects behind an opaque status-0 response.
  if (response.type === 'opaqueredirect') throw redirectRefused(url, null);
  return use(fetchReply(response), req);
}

function fetchReply(response: Response): RangeReply {
  const reader = response.body?.getReader();
  return {
    status: response.status,
    header: (name) => response.headers.get(name),
    bodyDecoded: true,
    read: async () => {
      if (!reader) return null;
      const next = await reader.read();
      return next.done ? null : next.value;
    },
    // A failed cancel only means the stream was already closed or errored.
    cancel: () => { reader?.cancel().catch(() => undefined); },
  };
}
