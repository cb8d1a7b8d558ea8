import { PacketFSError } from '../errors.js';
import type { ProgramSpec } from '../job/types.js';
import { createNodeRangeRequester } from '../data/node-fetch-range.js';
import { describeUrl, fetchFailed, parseContentRange, parseLength } from '../data/range-reply.js';
import { ownBlobMatcher } from '../data/own-blob-url.js';
import { createAddressPolicy } from '../data/ssrf-guard.js';

/**
 * The size of a split job's data, before it is cut into windows.
 *
 * Blobs (by id, or a data_url naming this dispatcher's own blob store) are
 * stat'ed. Other URLs get one GET for the first byte (`Range: bytes=0-0`):
 * 206 gives the size in Content-Range and proves Range works; 416 with
 * an empty Content-Range total is an empty file; 200 means the server ignores Range, which
 * `ranges: false` reports (each window would download everything before it).
 * The same SSRF guard as every data_url read applies.
 */
export interface SourceSize {
  size: number;
  /** the source serves byte ranges (always true for blobs) */
  ranges: boolean;
}

export type SizeOf = (program: ProgramSpec, signal?: AbortSignal) => Promise<SourceSize>;

export interface SizeOfOptions {
  blobSize(id: string): Promise<number | null>;
  allowPrivate: boolean;
  allowHosts: string[];
  ownOrigins: string[];
}

export function createSizeOf(opts: SizeOfOptions): SizeOf {
  const withRange = createNodeRangeRequester({
    policy: createAddressPolicy({ allowPrivate: opts.allowPrivate, allowHosts: opts.allowHosts }),
    maxBytes: 1,
  });
  const ownBlobId = ownBlobMatcher(opts.ownOrigins);
  const blobSize = async (id: string, path: string): Promise<SourceSize> => {
    const size = await opts.blobSize(id);
    if (size === null) throw new PacketFSError('BLOB_NOT_FOUND', `no blob ${JSON.stringify(id)}`, { path });
    return { size, ranges: true };
  };
  return async (program, signal) => {
    if (program.blob !== undefined) return blobSize(program.blob, 'program.blob');
    const url = program.data_url;
    if (url === undefined) throw new PacketFSError('INVALID_JOB', 'split needs a blob or data_url program', { path: 'program' });
    const own = ownBlobId(url);
    if (own !== null) return blobSize(own, 'program.data_url');
    return withRange(url, 0, 1, signal, async (reply) => {
      if (reply.status === 206) {
        const range = parseContentRange(reply.header('content-range'));
        if (range === null || range.total === null) {
          throw fetchFailed(`${describeUrl(url)} answered a Range request without the total size in Content-Range; a split job needs the size`);
        }
        return { size: range.total, ranges: true };
      }
      if (reply.status === 416) {
        if (/^bytes \*\/0$/i.test(reply.header('content-range')?.trim() ?? '')) return { size: 0, ranges: true };
        throw fetchFailed(`${describeUrl(url)} refused the first byte (416) without saying the file is empty`);
      }
      if (reply.status === 200) {
        const size = parseLength(reply.header('content-length'));
        if (size === null) throw fetchFailed(`${describeUrl(url)} ignores Range and sends no Content-Length; a split job needs the size`);
        return { size, ranges: false };
      }
      throw fetchFailed(`${describeUrl(url)} answered HTTP ${reply.status} to a Range request for its first byte`);
    });
  };
}
