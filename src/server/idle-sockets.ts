import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * On close, destroys every socket that has no request in progress, and each
 * remaining one the moment its last response ends. Node's
 * closeIdleConnections (which Fastify calls once, as close starts) leaves
 * alone a socket that has not sent a request yet — HTTP clients open spare
 * ones, e.g. undici after an aborted dashboard stream — and a keep-alive
 * socket whose response was still being written then; either would hold the
 * server's close until the headers or keep-alive timeout (a minute or more).
 * A response can end after its client has read every byte (a file range
 * whose stream closes a moment later), so this is not rare.
 * State: requests in progress per open HTTP socket, counted from the
 * 'request' event to the response's 'close' (upgraded sockets leave the
 * count); `closing` from preClose on.
 */
export function closeIdleSocketsOnClose(app: FastifyInstance): void {
  const inProgress = new Map<Socket, number>();
  let closing = false;
  app.server.on('connection', (socket: Socket) => {
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
      if (closing && n - 1 === 0) socket.destroy();
    });
  });
  // an upgraded socket (the node WebSocket) is no longer HTTP: its own route closes it, with a drain message first
  app.server.on('upgrade', (request: { socket: Socket }) => { inProgress.delete(request.socket); });
  app.addHook('preClose', async () => {
    closing = true;
    for (const [socket, n] of inProgress) if (n === 0) socket.destroy();
  });
}
