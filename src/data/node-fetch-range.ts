import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { version } from '../version.js';
import { assertWindowArgs } from './window-bounds.js';
import {
  abortError, parseDataUrl, rangeHeaderFor, readFailure, readRangeReply, streamRangeReply,
  type RangeReply, type RangeRequest,
} from './range-reply.js';
import { assertLiteralHostAllowed, guardedLookup, type AddressPolicy } from './ssrf-guard.js';

export type FetchRange = (url: string, offset: number, length: number | null, signal?: AbortSignal) => Promise<Uint8Array>;

/**
 * Opens a Range request and hands the reply to `use`; the request is torn
 * down when `use` is done (or throws), and an abort of `signal` ends it at
 * once, during connect or body.
 */
export type WithRange = <T>(url: string, offset: number, length: number | null, signal: AbortSignal | undefined,
  use: (reply: RangeReply, req: RangeRequest) => Promise<T>) => Promise<T>;

/**
 * The dispatcher's data_url reader: node:http(s) rather than fetch because
 * only a socket-level `lookup` lets the SSRF guard vet the address actually
 * connected to. Reply handling (206/200/416/3xx, lengths) is shared with the
 * fetch-based reader in range-reply.ts. node:http never follows redirects,
 * and range-reply.ts refuses them.
 */
export function createNodeFetchRange(opts: { policy: AddressPolicy; maxBytes: number; userAgent?: string }): FetchRange {
  const withRange = createNodeRangeRequester(opts);
  return (url, offset, length, signal) => withRange(url, offset, length, signal, readRangeReply);
}

/** The window streamed chunk by chunk into `sink` (O(chunk) memory); resolves with the window's length. */
export type StreamRange = (url: string, offset: number, length: number | null, signal: AbortSignal | undefined,
  sink: (chunk: Uint8Array) => void) => Promise<number>;

export function createNodeStreamRange(opts: { policy: AddressPolicy; userAgent?: string }): StreamRange {
  // Nothing is held, so the only bound on a streamed window is the caller's.
  const withRange = createNodeRangeRequester({ ...opts, maxBytes: Number.MAX_SAFE_INTEGER });
  return (url, offset, length, signal, sink) =>
    withRange(url, offset, length, signal, async (reply, req) => (await streamRangeReply(reply, req, sink)) ?? 0);
}

export function createNodeRangeRequester(opts: { policy: AddressPolicy; maxBytes: number; userAgent?: string }): WithRange {
  const lookup = guardedLookup(opts.policy);
  const userAgent = opts.userAgent ?? `packetfs-compute/${version}`;

  return async (url, offset, length, signal, use) => {
    assertWindowArgs(offset, length);
    const target = parseDataUrl(url);
    assertLiteralHostAllowed(opts.policy, target.hostname);
    if (signal?.aborted) throw abortError(signal);

    const req: RangeRequest = { url, offset, length, maxBytes: opts.maxBytes, signal };
    // identity: node:http does not decompress, and compressed bytes cannot be windowed.
    const headers: Record<string, string> = { 'user-agent': userAgent, 'accept-encoding': 'identity' };
    const range = rangeHeaderFor(offset, length);
    if (range !== null) headers.range = range;

    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, { method: 'GET', headers, lookup });
    let response: IncomingMessage | undefined;
    // Destroying with the PacketFSError makes pending reads reject at once, during connect or body.
    const onAbort = (): void => {
      const reason = abortError(signal!);
      response?.destroy(reason);
      request.destroy(reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      response = await responseOf(request);
      const reply = nodeReply(request, response);
      try {
        return await use(reply, req);
      } finally {
        reply.cancel();
      }
    } catch (err) {
      request.destroy();
      throw readFailure(err, req);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };
}

function responseOf(request: ClientRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request.once('response', resolve);
    request.on('error', reject);
    request.end();
  });
}

function nodeReply(request: ClientRequest, response: IncomingMessage): RangeReply {
  const chunks = response[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return {
    status: response.statusCode ?? 0,
    header: (name) => {
      const value = response.headers[name];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(', ') : value;
    },
    bodyDecoded: false,
    read: async () => {
      const next = await chunks.next();
      return next.done ? null : next.value;
    },
    cancel: () => {
      if (response.complete) return;
      response.destroy();
      request.destroy();
    },
  };
}
