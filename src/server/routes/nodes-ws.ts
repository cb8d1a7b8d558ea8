import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { PacketFSError } from '../../errors.js';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { NodePool } from '../../substrates/node-pool/node-pool.js';
import type { NodeService } from '../../dispatcher/node-service.js';
import { CLOSE_CODES, NODE_WS_PATH } from '../../node-protocol/index.js';
import type { BlobUrlSigner } from '../../data/blob-url-signing.js';

/** A served dispatcher that runs browser/volunteer nodes exposes their pool. */
export interface NodesHost {
  readonly nodes?: NodePool | undefined;
  readonly nodeService?: NodeService | undefined;
}

/** Host headers we build blob URLs from: a host name or IP literal and an optional port, nothing else. */
const HOST_HEADER = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
/** How long a closing handshake may take when the server shuts down before the socket is cut. */
const CLOSE_WAIT_MS = 1000;

/**
 * GET /v1/nodes/ws: the node protocol endpoint (docs/protocol.md). Upgrades
 * are taken from the HTTP server's 'upgrade' event (ws in noServer mode), so
 * the WebSocket layer bounds every frame (maxPayload, closing with 1009) and
 * the pool sees only complete text frames. A binary frame breaks the protocol.
 * Node credentials (the node token or a join token, never the API token)
 * guard this endpoint, checked at register (src/trust/node-access.ts); blob windows reach nodes as signed URLs on the origin the node
 * connected to, so nodes never hold the API token.
 */
export function registerNodeSocket(app: FastifyInstance, pool: NodePool, signer: BlobUrlSigner): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: pool.maxMessageBytes, perMessageDeflate: false });

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== NODE_WS_PATH) {
      // Another endpoint may own this upgrade; refuse it only when nobody else listens.
      if (app.server.listenerCount('upgrade') === 1) refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    const host = request.headers.host;
    if (host === undefined || !HOST_HEADER.test(host)) {
      refuseUpgrade(socket, 400, 'Bad Request');
      return;
    }
    const scheme = (request.socket as TLSSocket).encrypted ? 'https' : 'http';
    const remoteAddress = request.socket.remoteAddress ?? 'unknown';
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws, `${scheme}://${host}`, remoteAddress));
  };

  const accept = (ws: WebSocket, origin: string, remoteAddress: string): void => {
    const conn = pool.connect({
      remoteAddress,
      send: (text) => { if (ws.readyState === ws.OPEN) ws.send(text); },
      close: (code, reason) => closeSocket(ws, code, reason),
      blobUrl: (id, deadline) => signer.sign(id, origin, deadline),
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) pool.refuseInvalid(conn, '$: binary frames are not part of the protocol; send JSON text');
      else pool.receive(conn, textOf(data));
    });
    // Oversized frames (1009) and broken framing surface here; the close event follows.
    ws.on('error', () => pool.disconnect(conn, undefined, 'socket error'));
    ws.on('close', () => pool.disconnect(conn, undefined, 'socket closed'));
  };

  app.server.on('upgrade', onUpgrade);
  // a plain GET (no Upgrade header) never reaches onUpgrade: tell the client what the endpoint wants
  app.get(NODE_WS_PATH, async () => {
    throw new PacketFSError('INVALID_REQUEST', `${NODE_WS_PATH} speaks the node protocol over WebSocket: send Upgrade: websocket`, { status: 426, path: 'headers.upgrade' });
  });
  app.addHook('preClose', async () => {
    app.server.off('upgrade', onUpgrade);
    pool.close();
    await Promise.all([...wss.clients].map((ws) => closed(ws)));
    wss.close();
  });
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

function closeSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === ws.CLOSED || ws.readyState === ws.CLOSING) return;
  ws.close(code, reason);
  // A peer that never answers the closing handshake must not hold the socket.
  setTimeout(() => ws.terminate(), CLOSE_WAIT_MS).unref();
}

function closed(ws: WebSocket): Promise<void> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    closeSocket(ws, CLOSE_CODES.goingAway, 'the dispatcher is shutting down');
  });
}

/** A refused handshake, with the same error body as every other 4xx. */
function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  const error = status === 404
    ? new PacketFSError('NOT_FOUND', 'no WebSocket endpoint at this path')
    : new PacketFSError('INVALID_REQUEST', 'the Host header is missing or malformed', { path: 'headers.host' });
  const body = JSON.stringify({ error: error.toJSON() });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
