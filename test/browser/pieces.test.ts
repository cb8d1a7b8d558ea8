import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coordinatorWsUrl } from '../../src/runtimes/browser/coordinator-url.js';
import { workerCount } from '../../src/runtimes/browser/cpu-share.js';
import { parseDispatcherMessage } from '../../src/node-protocol/index.js';

/** The browser runtime's runtime-neutral pieces, checked in Node (the Chromium tests cover the rest). */

test('cpuShare picks ceil(cores × share) workers, at least one, at most maxWorkers', () => {
  assert.equal(workerCount(8), 8);
  assert.equal(workerCount(8, 0.5), 4);
  assert.equal(workerCount(6, 0.25), 2);
  assert.equal(workerCount(1, 0.1), 1);
  assert.equal(workerCount(64), 8);
  assert.equal(workerCount(64, 1, 16), 16);
  assert.throws(() => workerCount(8, 0), RangeError);
  assert.throws(() => workerCount(8, 1.5), RangeError);
  assert.throws(() => workerCount(8, 1, 0), RangeError);
});

test('connectToCoordinator accepts an http(s) origin or the ws(s) socket URL', () => {
  const page = 'https://site.example/page';
  assert.equal(coordinatorWsUrl('http://127.0.0.1:8080', page), 'ws://127.0.0.1:8080/v1/nodes/ws');
  assert.equal(coordinatorWsUrl('https://d.example/', page), 'wss://d.example/v1/nodes/ws');
  assert.equal(coordinatorWsUrl('wss://d.example/v1/nodes/ws', page), 'wss://d.example/v1/nodes/ws');
  assert.equal(coordinatorWsUrl('/', page), 'wss://site.example/v1/nodes/ws');
  assert.throws(() => coordinatorWsUrl('ftp://d.example', page), TypeError);
});

test('dispatcher frames are size- and shape-checked before use', () => {
  const registered = { type: 'registered', node_id: 'browser-1', heartbeat_ms: 5000, max_message_bytes: 1 << 24, max_batch: 4096 };
  assert.deepEqual(parseDispatcherMessage(JSON.stringify(registered), 1000), registered);
  const assign = { type: 'assign', jobs: [{ assignment_id: 'a1', job_id: 'j1', program: { op: 'crc32c', data: '' }, timeout_ms: 1000 }] };
  assert.deepEqual(parseDispatcherMessage(JSON.stringify(assign), 1000), assign);
  assert.deepEqual(parseDispatcherMessage('{"type":"drain"}', 100), { type: 'drain' });
  assert.deepEqual(parseDispatcherMessage('{"type":"error","code":"UNAUTHORIZED","message":"no"}', 100), { type: 'error', code: 'UNAUTHORIZED', message: 'no' });

  assert.throws(() => parseDispatcherMessage(JSON.stringify(assign), 50), /over the 50-byte limit/);
  assert.throws(() => parseDispatcherMessage(new ArrayBuffer(4), 100), /JSON text frame/);
  assert.throws(() => parseDispatcherMessage('[1]', 100), /^Error: \$: must be an object|\$: must be an object/);
  assert.throws(() => parseDispatcherMessage('{"type":"registered","node_id":"x"}', 100), /heartbeat_ms: must be an integer/);
  assert.throws(() => parseDispatcherMessage('{"type":"assign","jobs":[{"assignment_id":"a"}]}', 100), /jobs\[0\]\.job_id: must be a string/);
  assert.throws(() => parseDispatcherMessage('{"type":"surprise"}', 100), /type: must be registered, assign, drain or error/);
  assert.throws(() => parseDispatcherMessage('{nope', 100), /\$: not JSON/);
});
