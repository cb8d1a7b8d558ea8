import { after, before, describe, test } from 'node:test';
import { processBlobUrlSigner } from '../../src/data/blob-url-signing.js';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { PacketFSError } from '../../src/errors.js';
import { assertListenAllowed, buildServer, startServer } from '../../src/server/server.js';
import type { ServedDispatcher } from '../../src/server/served-dispatcher.js';
import { call, NINE_DIGITS_B64, serveDispatcher, type Served } from './harness.js';

describe('probes, substrates and metrics', () => {
  let served: Served;
  before(async () => { served = await serveDispatcher(); });
  after(async () => { await served.close(); });

  test('/healthz and /readyz', async () => {
    const health = await call(`${served.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });
    const ready = await call(`${served.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.ready, true);
    assert.equal(ready.body.store, true);
    assert.ok(ready.body.substrates >= 1);
  });

  test('/v1/substrates lists the local substrate', async () => {
    const reply = await call(`${served.url}/v1/substrates`);
    assert.equal(reply.status, 200);
    const local = reply.body.substrates.find((s: { name: string }) => s.name === 'local');
    assert.ok(local, 'local substrate listed');
    assert.equal(local.type, 'local');
    assert.equal(typeof local.capabilities.available_slots, 'number');
  });

  test('/v1/metrics reports finished jobs; limit is checked', async () => {
    const { body } = await call(`${served.url}/v1/jobs`, { json: { program: { op: 'crc32c', data: NINE_DIGITS_B64 } } });
    await call(`${served.url}/v1/jobs/${body.job_id}/result?wait=30`);
    const report = await call(`${served.url}/v1/metrics?limit=10`);
    assert.equal(report.status, 200);
    assert.ok(report.body.metrics.some((m: { job_id: string }) => m.job_id === body.job_id));
    assert.ok(report.body.substrates.local.jobs >= 1);
    for (const limit of ['0', '10001', 'x']) {
      const bad = await call(`${served.url}/v1/metrics?limit=${limit}`);
      assert.equal(bad.status, 400, limit);
      assert.equal(bad.body.error.path, 'limit');
    }
  });

  test('/metrics is Prometheus text with the dispatcher metrics', async () => {
    const reply = await call(`${served.url}/metrics`);
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    for (const name of ['packetfs_jobs_total', 'packetfs_queue_depth', 'packetfs_substrate_healthy']) {
      assert.match(reply.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
  });

  test('an unknown route is 404 NOT_FOUND in the error shape', async () => {
    const reply = await call(`${served.url}/v2/nothing`);
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error.code, 'NOT_FOUND');
  });
});

describe('bearer token', () => {
  const token = 's3cret-token-value';
  let served: Served;
  const logged: string[] = [];
  before(async () => {
    const stream = new Writable({ write(chunk, _enc, done) { logged.push(String(chunk)); done(); } });
    served = await serveDispatcher({ server: { token, logger: { level: 'trace', stream } } });
  });
  after(async () => { await served.close(); });

  test('/v1 routes need it: 401 with WWW-Authenticate otherwise', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: token }, { authorization: `Basic ${token}` }];
    for (const headers of attempts) {
      const reply = await call(`${served.url}/v1/substrates`, { headers });
      assert.equal(reply.status, 401, JSON.stringify(headers));
      assert.equal(reply.body.error.code, 'UNAUTHORIZED');
      assert.match(reply.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
    const blobs = await call(`${served.url}/v1/blobs`, { method: 'PUT', body: 'x' });
    assert.equal(blobs.status, 401);
    const ok = await call(`${served.url}/v1/jobs`, {
      json: { program: { op: 'crc32c', data: NINE_DIGITS_B64 } }, headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(ok.status, 202);
  });

  test('probes and the OpenAPI document stay open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      assert.equal((await call(`${served.url}${path}`)).status, 200, path);
    }
  });

  test('the token never reaches the log', async () => {
    await call(`${served.url}/v1/substrates`, { headers: { authorization: `Bearer ${token}` } });
    await call(`${served.url}/v1/substrates`, { headers: { authorization: `Bearer ${token}x` } });
    assert.ok(logged.length > 0, 'the server logged something');
    assert.ok(!logged.join('').includes(token), 'token absent from logs');
  });

  test('a signed blob URL works without the token, and its signature never reaches the log', async () => {
    const put = await call(`${served.url}/v1/blobs`, { method: 'PUT', body: '123456789', headers: { authorization: `Bearer ${token}` } });
    assert.equal(put.status, 201);
    const signed = processBlobUrlSigner().sign(put.body.blob_id, served.url, Date.now() + 60_000);
    const sig = new URL(signed).searchParams.get('sig')!;
    const reply = await call(signed, { headers: { range: 'bytes=0-2' } });
    assert.equal(reply.status, 206);
    assert.equal(reply.body, '123');
    const forged = await call(signed.replace(/sig=[^&]+/, 'sig=AAAA'));
    assert.equal(forged.status, 401);
    assert.ok(logged.join('').includes('sig=[redacted]'), 'the request was logged, censored');
    assert.ok(!logged.join('').includes(sig), 'signature absent from logs');
  });
});

describe('listening', () => {
  test('refuses a non-loopback host without a token', async () => {
    const dispatcher = {} as ServedDispatcher;  // never reached: the check comes first
    await assert.rejects(startServer(dispatcher, { host: '0.0.0.0', port: 0 }), (err: unknown) => {
      assert.ok(err instanceof PacketFSError);
      assert.equal(err.code, 'INVALID_REQUEST');
      assert.match(err.message, /token/);
      return true;
    });
  });

  test('loopback hosts, a token, or the explicit opt-out allow it', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      assert.doesNotThrow(() => assertListenAllowed(host, undefined, false), host);
    }
    assert.doesNotThrow(() => assertListenAllowed('0.0.0.0', 'token', false));
    assert.doesNotThrow(() => assertListenAllowed('0.0.0.0', undefined, true));
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '::ffff:10.0.0.1']) {
      assert.throws(() => assertListenAllowed(host, undefined, false), PacketFSError, host);
    }
  });
});

describe('error handling and shutdown', () => {
  let served: Served;
  before(async () => { served = await serveDispatcher(); });
  after(async () => { await served.close(); });

  /** The real dispatcher with some methods replaced. */
  function withOverrides(overrides: Partial<ServedDispatcher>): ServedDispatcher {
    return Object.assign(Object.create(served.dispatcher) as ServedDispatcher, overrides);
  }

  test('an unexpected exception is 500 INTERNAL without details; a PacketFSError keeps its status', async () => {
    const app = await buildServer(withOverrides({
      getJob: async () => { throw new Error('boom in /srv/secret/path'); },
      submitJob: async () => { throw new PacketFSError('STORE_UNAVAILABLE', 'redis is down'); },
    }));
    try {
      const crash = await app.inject({ method: 'GET', url: '/v1/jobs/x' });
      assert.equal(crash.statusCode, 500);
      assert.deepEqual(crash.json(), { error: { code: 'INTERNAL', message: 'internal server error' } });
      const down = await app.inject({ method: 'POST', url: '/v1/jobs', payload: { program: {} } });
      assert.equal(down.statusCode, 503);
      assert.equal(down.headers['retry-after'], '1');
      assert.deepEqual(down.json(), { error: { code: 'STORE_UNAVAILABLE', message: 'redis is down' } });
    } finally {
      await app.close();
    }
  });

  test('/readyz is 503 with the report and an error when the store is down', async () => {
    const app = await buildServer(withOverrides({ ready: async () => ({ ready: false, store: false, substrates: 1 }) }));
    try {
      const reply = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(reply.statusCode, 503);
      const body = reply.json();
      assert.equal(body.ready, false);
      assert.equal(body.error.code, 'STORE_UNAVAILABLE');
    } finally {
      await app.close();
    }
  });

  test('closing the server answers pending long-polls at once', async () => {
    let waiting!: () => void;
    const entered = new Promise<void>((resolve) => { waiting = resolve; });
    const dispatcher = withOverrides({
      getJob: async (id) => ({ job_id: id, status: 'running', attempts: 1, priority: 0, created_at: new Date().toISOString(), substrates: null, errors: [], result: null }),
      // a wait that would outlive the test: only the server closing can end the request
      getResult: () => { waiting(); return new Promise(() => {}); },
    });
    const app = await buildServer(dispatcher);
    const pending = app.inject({ method: 'GET', url: '/v1/jobs/j1/result?wait=60' });
    await entered;
    await app.close();
    const reply = await pending;
    assert.equal(reply.statusCode, 202);
    assert.deepEqual(reply.json(), { job_id: 'j1', status: 'running' });
  });
});
