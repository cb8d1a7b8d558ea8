import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, serveDispatcher } from '../server/harness.js';
import { RawNode } from '../nodes/raw-node.js';
import { startRedis } from '../helpers/redis-server.js';

const API = 'shared-api-token';
const auth = { authorization: `Bearer ${API}` };

test('dispatchers sharing Redis accept each other\'s join tokens and enforce each other\'s revocations and bans', { timeout: 30_000 }, async () => {
  const redis = await startRedis();
  const opts = { dispatcher: { threads: 1, redisUrl: redis.url, requireNodeCredential: true, joinSecret: API }, server: { token: API } };
  const a = await serveDispatcher(opts);
  const b = await serveDispatcher(opts);
  try {
    const minted = (await call(`${a.url}/v1/nodes/tokens`, { json: { label: 'shared' }, headers: auth })).body;
    const onB = await RawNode.register(b.url, { token: minted.token });
    assert.equal(onB.registered.type, 'registered', 'a token minted through A admits at B');
    assert.equal((await call(`${b.url}/v1/nodes/tokens`, { headers: auth })).body.tokens[0].label, 'shared');

    assert.equal((await call(`${a.url}/v1/nodes/tokens/${minted.id}`, { method: 'DELETE', headers: auth })).status, 200);
    assert.equal((await onB.node.closed).code, 4001, 'B closes the node within its refresh');
    assert.equal((await RawNode.register(b.url, { token: minted.token })).registered.message, 'join token revoked');

    const second = (await call(`${a.url}/v1/nodes/tokens`, { json: {}, headers: auth })).body;
    const onA = await RawNode.register(a.url, { token: second.token });
    assert.equal((await call(`${a.url}/v1/nodes/${onA.registered.node_id}`, { method: 'DELETE', headers: auth })).status, 200);
    await onA.node.closed;
    let refused = false;
    for (let i = 0; i < 40 && !refused; i++) {
      refused = (await RawNode.register(b.url, { token: second.token })).registered.type === 'error';
      if (!refused) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(refused, 'a node banned through A is refused by B');
  } finally {
    await a.close();
    await b.close();
    await redis.stop();
  }
});
