import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../src/logger.js';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { chunks.push(String(chunk)); done(); } });
  return { stream, text: () => chunks.join(''), lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('one JSON line per event: level name, ISO time, message and fields; below the level nothing', () => {
  const out = capture();
  const log = createLogger('warn', out.stream);
  log.info({ event: 'quiet' }, 'not shown');
  log.warn({ event: 'store_down', failures: 3 }, 'store take failed');
  log.error('plain message');
  const [warn, error] = out.lines();
  assert.equal(out.lines().length, 2);
  assert.equal(warn!.level, 'warn');
  assert.equal(warn!.msg, 'store take failed');
  assert.equal(warn!.event, 'store_down');
  assert.equal(warn!.failures, 3);
  assert.match(String(warn!.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(error!.level, 'error');
  assert.equal(error!.msg, 'plain message');
  assert.equal('pid' in warn! || 'hostname' in warn!, false);
});

test('tokens, secrets, Authorization headers and URL signatures never reach the log', () => {
  const out = capture();
  const log = createLogger('info', out.stream);
  const secret = 'pfj1.s3cret-value.sig';
  log.info({ token: secret, node: { token: secret }, join_secret: secret, headers: { authorization: `Bearer ${secret}` } }, 'registered');
  log.warn({ url: `https://blobs.example/v1/blobs/abc?expires=1&sig=${secret}` }, `fetching https://x.example/?sig=${secret}&a=1 failed`);
  const text = out.text();
  assert.ok(!text.includes(secret), text);
  const [first, second] = out.lines();
  assert.equal(first!.token, '[redacted]');
  assert.deepEqual(first!.node, { token: '[redacted]' });
  assert.equal(second!.url, 'https://blobs.example/v1/blobs/abc?expires=1&sig=[redacted]');
  assert.equal(second!.msg, 'fetching https://x.example/?sig=[redacted]&a=1 failed');
});
