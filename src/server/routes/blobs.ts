import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PacketFSError } from '../../errors.js';
import type { BlobInfo, ServedDispatcher } from '../served-dispatcher.js';
import { decideRange } from '../http-range.js';

interface IdParams { id: string }

/**
 * /v1/blobs. Uploads are streamed straight into the blob store (never
 * buffered, whatever the content type); downloads honour single ranges so a
 * blob can serve as a `data_url` for remote substrates.
 * Must be registered as its own plugin: it replaces the content-type parsers
 * of its scope with a pass-through.
 */
export async function blobRoutes(scope: FastifyInstance, opts: { dispatcher: ServedDispatcher; blobLimitBytes: number }): Promise<void> {
  const { dispatcher, blobLimitBytes } = opts;
  scope.removeAllContentTypeParsers();
  // leave the body unread: the handler streams request.raw itself
  scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

  scope.put('/v1/blobs', async (request, reply) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    try {
      if (declared > blobLimitBytes) throw tooLarge(blobLimitBytes);
      const info = await dispatcher.blobs.put(limited(request.raw, blobLimitBytes));
      return reply.code(201).header('location', `/v1/blobs/${info.blob_id}`).send(info);
    } catch (err) {
      // the rest of the upload is still on its way: closing beats reading a
      // possibly huge body only to throw it away
      void reply.header('connection', 'close');
      throw err;
    }
  });

  scope.route<{ Params: IdParams }>({
    method: ['GET', 'HEAD'],
    url: '/v1/blobs/:id',
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const info = await dispatcher.blobs.stat(request.params.id);
      if (info === null) throw new PacketFSError('BLOB_NOT_FOUND', `no blob ${JSON.stringify(request.params.id)}`);
      return sendBlob(request, reply, dispatcher, info);
    },
  });
}

async function sendBlob(request: FastifyRequest, reply: FastifyReply, dispatcher: ServedDispatcher, info: BlobInfo): Promise<FastifyReply> {
  const etag = `"${info.blob_id}"`;
  void reply.header('accept-ranges', 'bytes').header('etag', etag);
  // Pages on other sites run jobs (the embed snippet) and read windows with
  // Range; a read is already authorised (token or signed URL) before this
  // point, so any origin may see it, and fetch must be allowed to see
  // Content-Range to verify a 206.
  void reply.header('access-control-allow-origin', '*')
    .header('access-control-expose-headers', 'content-range, content-length, accept-ranges, etag');
  // blob ids are content hashes: the bytes behind an id never change
  const immutable = 'public, max-age=31536000, immutable';
  if (request.headers['if-none-match'] === etag) return reply.code(304).header('cache-control', immutable).send();
  const ifRange = request.headers['if-range'];
  const rangeHeader = ifRange === undefined || ifRange === etag ? request.headers.range : undefined;
  const range = decideRange(rangeHeader, info.size);
  if (range.kind === 'unsatisfiable') {
    void reply.header('content-range', `bytes */${info.size}`);
    throw new PacketFSError('WINDOW_OUT_OF_RANGE',
      `range ${JSON.stringify(rangeHeader)} is outside the blob (${info.size} bytes)`, { status: 416, path: 'range' });
  }
  void reply.header('cache-control', immutable).header('content-type', 'application/octet-stream');
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, info.size - 1];
  if (range.kind === 'partial') void reply.code(206).header('content-range', `bytes ${start}-${end}/${info.size}`);
  void reply.header('content-length', String(end - start + 1));
  if (request.method === 'HEAD' || end < start) return reply.send();
  // opened (and checked) before any byte is sent, so a blob deleted meanwhile is still a clean 404
  const body = await dispatcher.blobs.openRange(info.blob_id, start, end);
  // The bytes go straight to the socket through two reused buffers (file-range-sender.ts)
  // instead of through a stream pipe that allocates a buffer per chunk.
  void reply.hijack();
  const res = reply.raw;
  res.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
  try {
    await body.writeTo(res);
    res.end();
  } catch (err) {
    // headers are out: the only honest signal left is a cut connection (fewer bytes than content-length)
    request.log.warn({ err, blob_id: info.blob_id }, 'blob range reply failed mid-way');
    res.destroy();
  }
  return reply;
}

/** Passes the upload through, failing as soon as it grows past the limit (chunked uploads declare no length). */
async function* limited(body: AsyncIterable<Uint8Array>, limit: number): AsyncGenerator<Uint8Array> {
  let received = 0;
  for await (const chunk of body) {
    received += chunk.byteLength;
    if (received > limit) throw tooLarge(limit);
    yield chunk;
  }
}

function tooLarge(limit: number): PacketFSError {
  return new PacketFSError('PAYLOAD_TOO_LARGE', `blob is larger than the limit of ${limit} bytes`);
}
