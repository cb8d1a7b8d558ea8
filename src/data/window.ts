import { PacketFSError } from '../errors.js';
import type { ProgramSpec } from '../job/types.js';
import { assertWindowArgs, resolveWindow, windowTooLarge } from './window-bounds.js';
import { isBlobId } from './own-blob-url.js';
import {
  abortError, parseDataUrl, rangeHeaderFor, readFailure, readRangeReply, redirectRefused,
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
  fetchRange(url: string, offset: number, length: number | null, signal?: AbortSignal): Promise<Uint8Array>;
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

async function readSource(program: ProgramSpec, ctx: WindowContext): Promise<Uint8Array> {
  const { offset, length } = program;
  if (program.data !== undefined) return readInlineWindow(program, ctx);
  if (program.blob !== undefined) {
    if (!isBlobId(program.blob)) {
      throw new PacketFSError('INVALID_JOB', 'blob must be a blob id: 32 lowercase hex digits', { path: 'program.blob' });
    }
    return readOwnBlob(ctx, program.blob, offset, length, 'program.blob');
  }
  if (program.data_url !== undefined) {
    const ownId = ctx.ownBlobId?.(program.data_url) ?? null;
    if (ownId !== null) return readOwnBlob(ctx, ownId, offset, length, 'program.data_url');
    if (ctx.signal?.aborted) throw abortError(ctx.signal);
    return ctx.fetchRange(program.data_url, offset, length, ctx.signal);
  }
  throw new PacketFSError('INVALID_JOB', 'program has no data source: give data, data_url or blob', { path: 'program' });
}

async function readOwnBlob(ctx: WindowContext, id: string, offset: number, length: number | null, path: string): Promise<Uint8Array> {
  if (!ctx.readBlob) {
    throw new PacketFSError('BLOB_NOT_FOUND', `blob ${id} cannot be read here: this runtime has no access to the blob store`, { path });
  }
  try {
    return await ctx.readBlob(id, offset, length);
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
  opts: { signal?: AbortSignal; maxBytes: number }): Promise<Uint8Array> {
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
    response = await fetchImpl(url, { headers, redirect: 'manual', signal: opts.signal });
  } catch (err) {
    throw readFailure(err, req);
  }
  // Browsers hide manual redirects behind an opaque status-0 response.
  if (response.type === 'opaqueredirect') throw redirectRefused(url, null);
  return readRangeReply(fetchReply(response), req);
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
