import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * On close, ends every socket that has no request in progress. Node's
 * closeIdleConnections (which Fastify calls) leaves alone a socket that has
 * not sent a request yet — HTTP clients open spare ones, e.g. undici after
 * an aborted dashboard stream — and such a socket holds the server's close
 * until the headers timeout (a minute).
 *
 * State: requests in progress per open HTTP socket, counted from the
 * 'request' event to the response's 'close' (upgraded sockets leave the
 * count), and whether the server is closing. Once closing (preClose):
 *   - idle sockets are destroyed at once;
 *   - a socket whose last request in progress ends is ended after its
 *     response (gracefully: the response's bytes are already queued);
 *   - a connection accepted in the moment before the listener stops is
 *     destroyed on arrival.
 */
export function closeIdleSocketsOnClose(app: FastifyInstance): void {
  const inProgress = new Map<Socket, number>();
  let closing = false;
  app.server.on('connection', (socket: Socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    inProgress.set(socket, 0);
    socket.once('close', () => inProgress.delete(socket));
  });
  app.server.on('request', (request: { socket: Socket }, response: { once(event: 'close', fn: () => void): void }) => {
    const socket = request.socket;
    inProgress.set(socket, (inProgress.get(socket) ?? 0) + 1);
    response.once('close', () => {
      const n = inProgress.get(socket);
      if (n === undefined) return;
      inProgress.set(socket, n - 1);
      if (closing && n - 1 === 0) socket.end();
    });
  });
  // an upgraded socket (the node WebSocket) is no longer HTTP: its own route closes it, with a drain message first
  app.server.on('upgrade', (request: { socket: Socket }) => { inProgress.delete(request.socket); });
  app.addHook('preClose', async () => {
    closing = true;
    for (const [socket, n] of inProgress) if (n === 0) socket.destroy();
  });
}
