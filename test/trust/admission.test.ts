import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, serveDispatcher, NINE_DIGITS_B64, type Served } from '../server/harness.js';
import { RawNode } from '../nodes/raw-node.js';

const API = 'api-secret';
const auth = { authorization: `Bearer ${API}` };

/** A protected dispatcher, as `serve --token` runs it: nodes need a credential. */
function protectedServer(extra: Record<string, unknown> = {}): Promise<Served> {
  return serveDispatcher({ dispatcher: { threads: 1, requireNodeCredential: true, joinSecret: API, ...extra }, server: { token: API } });
}

async function mint(served: Served, body: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
  const reply = await call(`${served.url}/v1/nodes/tokens`, { json: body, headers: auth });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body;
}

test('with an API token, anonymous nodes are refused with 4001; join tokens admit, list, revoke and ban', async () => {
  const served = await protectedServer();
  try {
    const anonymous = await RawNode.register(served.url);
    assert.equal(anonymous.registered.type, 'error');
    assert.equal(anonymous.registered.code, 'UNAUTHORIZED');
    assert.equal((await anonymous.node.closed).code, 4001);

    assert.equal((await call(`${served.url}/v1/nodes/tokens`, { json: {} })).status, 401, 'minting needs the API token');
    const first = await mint(served, { label: 'lab-1', kind: 'node', ttl_s: 3600 });
    const a = await RawNode.register(served.url, { token: first.token, node_id: 'ignored' });
    assert.equal(a.registered.type, 'registered');
    assert.equal(a.registered.node_id, `jt-${first.id}`, 'a join-token node is known by its token');

    const list = await call(`${served.url}/v1/nodes`, { headers: auth });
    assert.equal(list.status, 200);
    assert.equal(list.body.require_credential, true);
    const view = list.body.nodes.find((n: any) => n.node_id === `jt-${first.id}`);
    assert.equal(view.label, 'lab-1');
    assert.equal(view.state, 'probation');
    assert.equal(view.address, '127.0.0.1');
    assert.equal(view.slots_granted, 2);

    const tokens = await call(`${served.url}/v1/nodes/tokens`, { headers: auth });
    assert.equal(tokens.body.tokens.length, 1);
    assert.equal(JSON.stringify(tokens.body).includes(first.token), false, 'the token itself is never listed');

    assert.equal((await call(`${served.url}/v1/nodes/tokens/${first.id}`, { method: 'DELETE', headers: auth })).status, 200);
    assert.equal((await a.node.closed).code, 4001, 'a revoked token disconnects its node');
    const again = await RawNode.register(served.url, { token: first.token });
    assert.equal(again.registered.message, 'join token revoked');

    const second = await mint(served);
    const b = await RawNode.register(served.url, { token: second.token });
    const ban = await call(`${served.url}/v1/nodes/${b.registered.node_id}`, { method: 'DELETE', headers: auth });
    assert.equal(ban.status, 200);
    assert.equal((await b.node.closed).code, 4001);
    const back = await RawNode.register(served.url, { token: second.token });
    assert.equal(back.registered.type, 'error', 'a banned node\'s token is revoked with it');
    assert.equal((await call(`${served.url}/v1/nodes/nobody`, { method: 'DELETE', headers: auth })).status, 404);
    const bans = await call(`${served.url}/v1/nodes/bans`, { headers: auth });
    assert.deepEqual(bans.body.bans.map((x: any) => x.token_id), [second.id]);
  } finally {
    await served.close();
  }
});

test('--open-volunteers admits anonymous nodes although the API has a token', async () => {
  const served = await serveDispatcher({ dispatcher: { threads: 1, requireNodeCredential: false }, server: { token: API } });
  try {
    const { node, registered } = await RawNode.register(served.url);
    assert.equal(registered.type, 'registered');
    await node.close();
  } finally {
    await served.close();
  }
});

test('private jobs never reach a node; a private job only nodes could run is refused at submit', async () => {
  const served = await serveDispatcher({ dispatcher: { threads: 1 } });
  try {
    const { node } = await RawNode.register(served.url, { slots: 8 });
    let assigned = 0;
    void (async () => { for (let m = await node.next(); m !== null; m = await node.next()) if (m.type === 'assign') assigned += m.jobs.length; })();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const reply = await call(`${served.url}/v1/jobs`, { json: { private: true, program: { op: 'crc32c', data: NINE_DIGITS_B64 } } });
      assert.equal(reply.status, 202);
      ids.push(reply.body.job_id);
    }
    for (const id of ids) {
      const record = (await call(`${served.url}/v1/jobs/${id}/result?wait=5`)).body;
      assert.equal(record.substrate, 'local');
      assert.deepEqual(record.verification, { method: 'trusted', executions: 1, agreed: 1 });
    }
    assert.equal(assigned, 0, 'no private job (nor a check of one) went to the node');

    const pinned = await call(`${served.url}/v1/jobs`, { json: { private: true, substrates: ['volunteer', 'browser'], program: { op: 'crc32c', data: NINE_DIGITS_B64 } } });
    assert.equal(pinned.status, 400);
    assert.deepEqual([pinned.body.error.code, pinned.body.error.path], ['INVALID_JOB', 'private']);
    const unverified = await call(`${served.url}/v1/jobs`, { json: { verify: 'none', program: { op: 'crc32c', data: NINE_DIGITS_B64 } } });
    assert.deepEqual([unverified.status, unverified.body.error.path], [400, 'verify']);
    await node.close();
  } finally {
    await served.close();
  }
});

test('private_by_default makes jobs private unless they say otherwise', async () => {
  const served = await serveDispatcher({ dispatcher: { threads: 1, privateByDefault: true } });
  try {
    const refused = await call(`${served.url}/v1/jobs`, { json: { substrates: ['volunteer'], program: { op: 'crc32c', data: NINE_DIGITS_B64 } } });
    assert.equal(refused.body.error?.path, 'private');
    const allowed = await call(`${served.url}/v1/jobs`, { json: { private: false, substrates: ['volunteer'], program: { op: 'crc32c', data: NINE_DIGITS_B64 } } });
    assert.equal(allowed.status, 202);
  } finally {
    await served.close();
  }
});

test('past max_queued_jobs or max_queued_bytes new work gets 503 QUEUE_FULL with Retry-After', async () => {
  const served = await serveDispatcher({ dispatcher: { threads: 1, maxQueuedJobs: 5, maxQueuedBytes: 64 * 1024 } });
  try {
    // pinned to volunteers with none connected: they stay queued
    const job = (i: number, bytes = 3) => ({ job_id: `q-${i}`, substrates: ['volunteer'], program: { op: 'counteq', data: Buffer.alloc(bytes, i).toString('base64') } });
    const batch = await call(`${served.url}/v1/jobs`, { json: { jobs: [0, 1, 2, 3].map((i) => job(i)) } });
    assert.equal(batch.status, 202);
    const big = await call(`${served.url}/v1/jobs`, { json: job(4, 60 * 1024) });
    assert.equal(big.status, 503);
    assert.equal(big.body.error.code, 'QUEUE_FULL');
    assert.match(big.body.error.message, /max_queued_bytes/);
    assert.equal((await call(`${served.url}/v1/jobs`, { json: job(5) })).status, 202);
    const full = await call(`${served.url}/v1/jobs`, { json: job(6) });
    assert.equal(full.status, 503);
    assert.equal(full.headers.get('retry-after'), '1');
    assert.match(full.body.error.message, /max_queued_jobs/);
    assert.equal((await call(`${served.url}/v1/jobs/q-6`)).status, 404, 'a refused job is not stored');
  } finally {
    await served.close();
  }
});
