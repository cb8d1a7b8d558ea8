import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import Fastify from 'fastify';
import { closeIdleSocketsOnClose } from '../../src/server/idle-sockets.js';

/**
 * A closing server must not wait on sockets that will never carry a
 * request: Node's own close leaves them open until its headers timeout (a
 * minute). Each test is bounded well below that, so the old behaviour fails
 * by timeout instead of passing slowly.
 */
function rawConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
    socket.on('error', () => undefined);
  });
}

describe('closing the server with sockets that carry no request', () => {
  it('a connection opened before close and never used is dropped', { timeout: 20_000 }, async () => {
    const app = Fastify();
    closeIdleSocketsOnClose(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const accepted = new Promise<void>((resolve) => app.server.once('connection', () => resolve()));
    const spare = await rawConnection(port);
    await accepted;
    await app.close();
    await closed(spare);
  });

  it('a connection that arrives while the server is already closing is dropped on arrival', { timeout: 20_000 }, async () => {
    const app = Fastify();
    closeIdleSocketsOnClose(app);
    let late: Socket | undefined;
    // runs after closeIdleSocketsOnClose's own preClose: the listener is still open here
    app.addHook('preClose', async () => {
      const accepted = new Promise<void>((resolve) => app.server.once('connection', () => resolve()));
      late = await rawConnection((app.server.address() as { port: number }).port);
      await accepted;
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    await app.close();
    assert.ok(late !== undefined);
    await closed(late);
  });

  it('a keep-alive connection whose request was in progress at close is ended after its reply', { timeout: 20_000 }, async () => {
    const app = Fastify();
    closeIdleSocketsOnClose(app);
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let started!: () => void;
    const inProgress = new Promise<void>((resolve) => { started = resolve; });
    app.get('/slow', async () => {
      started();
      await held;
      return { ok: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const socket = await rawConnection((app.server.address() as { port: number }).port);
    let reply = '';
    socket.on('data', (chunk: Buffer) => { reply += chunk.toString(); });
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await inProgress;
    const closing = app.close();
    release();
    await closed(socket);
    await closing;
    assert.match(reply, /^HTTP\/1\.1 200/);
    assert.match(reply, /"ok":true/);
  });
});
