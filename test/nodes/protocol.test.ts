import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawNode } from './raw-node.js';
import { expectedSum, inlineJob, serveWithNodes } from './served.js';

test('register, assign within free slots, results are stored', async () => {
  const served = await serveWithNodes();
  try {
    const { node, registered } = await RawNode.register(served.url, { slots: 2 });
    assert.equal(registered.type, 'registered');
    assert.equal(typeof registered.node_id, 'string');
    assert.equal(registered.heartbeat_ms, 5000);
    assert.ok(registered.max_message_bytes > 0 && registered.max_batch > 0);
    const jobs = Array.from({ length: 9 }, (_, i) => inlineJob(i));
    await served.dispatcher.submitJobs(jobs);
    let answered = 0;
    while (answered < jobs.length) {
      const msg = await node.next();
      assert.equal(msg.type, 'assign');
      // all earlier assignments are answered, so the node has exactly 2 free slots
      assert.ok(msg.jobs.length >= 1 && msg.jobs.length <= 2, `assign of ${msg.jobs.length} jobs to a 2-slot node`);
      assert.equal(typeof msg.jobs[0].timeout_ms, 'number');
      node.answer(msg.jobs);
      answered += msg.jobs.length;
    }
    for (let i = 0; i < jobs.length; i++) {
      const r = await served.dispatcher.getResult(`j-${i}`, { wait: 5 });
      assert.equal(r?.status, 'succeeded');
      assert.equal(r?.substrate, 'volunteer');
      assert.equal(r?.node, registered.node_id);
      assert.deepEqual(r?.result, { sum: expectedSum(i), bytes: Buffer.from(`job ${i}`).length });
    }
    const view = (await served.dispatcher.listSubstrates()).find((s) => s.name === 'volunteer')!;
    assert.equal(view.capabilities.trust, 'untrusted');
    assert.equal(view.capabilities.available_slots, 2);
    await node.close();
  } finally {
    await served.close();
  }
});

test('with no node connected the substrate has no slots and pinned jobs wait for one', async () => {
  const served = await serveWithNodes();
  try {
    const view = (await served.dispatcher.listSubstrates()).find((s) => s.name === 'browser')!;
    assert.equal(view.capabilities.available_slots, 0);
    await served.dispatcher.submitJob(inlineJob(1, 'browser'));
    await new Promise((r) => setTimeout(r, 200));
    // taken and held by the dispatch loop until a browser slot appears
    assert.ok(['queued', 'running'].includes((await served.dispatcher.getJob('j-1'))!.status));
    const { node } = await RawNode.register(served.url, { kind: 'browser', slots: 1 });
    const assign = await node.next();
    node.answer(assign.jobs);
    assert.equal((await served.dispatcher.getResult('j-1', { wait: 5 }))?.substrate, 'browser');
    await node.close();
  } finally {
    await served.close();
  }
});

test('a configured node token is required at register', async () => {
  const served = await serveWithNodes({ nodeToken: 'node-secret' }, { token: 'api-secret' });
  try {
    for (const token of [undefined, 'wrong', 'api-secret']) {
      const { node, registered } = await RawNode.register(served.url, token === undefined ? {} : { token });
      assert.equal(registered.type, 'error');
      assert.equal(registered.code, 'UNAUTHORIZED');
      assert.equal((await node.closed).code, 4001);
    }
    const { node, registered } = await RawNode.register(served.url, { token: 'node-secret' });
    assert.equal(registered.type, 'registered');
    await node.close();
  } finally {
    await served.close();
  }
});

test('malformed, binary, oversized and out-of-order frames close only that connection', async () => {
  const served = await serveWithNodes();
  try {
    const bystander = (await RawNode.register(served.url)).node;
    const cases: Array<{ frame: string | Buffer; code: number; reason?: RegExp }> = [
      { frame: 'not json', code: 4400, reason: /INVALID_MESSAGE: \$: not JSON/ },
      { frame: JSON.stringify({ type: 'heartbeat' }), code: 4400, reason: /first message must be register/ },
      { frame: JSON.stringify({ type: 'register', protocol: 2, kind: 'node', slots: 1, capabilities: {} }), code: 4400, reason: /protocol/ },
      { frame: JSON.stringify({ type: 'register', protocol: 1, kind: 'node', slots: 0, capabilities: {} }), code: 4400, reason: /slots/ },
      { frame: Buffer.from([1, 2, 3]), code: 4400, reason: /binary/ },
      { frame: 'x'.repeat(17 * 1024 * 1024), code: 1009 },
    ];
    for (const c of cases) {
      const node = new RawNode(served.url);
      await node.opened;
      node.ws.send(c.frame);
      const closed = await node.closed;
      assert.equal(closed.code, c.code, String(c.frame).slice(0, 40));
      if (c.reason) assert.match(closed.reason, c.reason);
    }
    // a registered node that sends a bad result is dropped too
    const { node } = await RawNode.register(served.url);
    node.send({ type: 'results', results: [{ assignment_id: 'a', ok: 'yes' }] });
    assert.equal((await node.closed).code, 4400);
    // the well-behaved node still gets work
    await served.dispatcher.submitJob(inlineJob(7));
    const assign = await bystander.next();
    bystander.answer(assign.jobs);
    assert.equal((await served.dispatcher.getResult('j-7', { wait: 5 }))?.status, 'succeeded');
    await bystander.close();
  } finally {
    await served.close();
  }
});

test('a node that misses heartbeats is dropped and its jobs rerun elsewhere', async () => {
  const served = await serveWithNodes({ nodeHeartbeatMs: 100 });
  try {
    const silent = await RawNode.register(served.url, { slots: 4 });
    assert.equal(silent.registered.heartbeat_ms, 100);
    await served.dispatcher.submitJob(inlineJob(3));
    const taken = await silent.node.next();
    assert.equal(taken.jobs[0].job_id, 'j-3');
    const live = await RawNode.register(served.url, { slots: 4 });
    const beat = setInterval(() => live.node.send({ type: 'heartbeat', free_slots: 4 }), 50);
    try {
      const closed = await silent.node.closed;
      assert.equal(closed.code, 4409);
      const rerun = await live.node.next();
      assert.equal(rerun.jobs[0].job_id, 'j-3');
      live.node.answer(rerun.jobs);
      const r = await served.dispatcher.getResult('j-3', { wait: 5 });
      assert.equal(r?.status, 'succeeded');
      assert.equal(r?.attempts, 2);
      assert.equal(r?.node, live.registered.node_id);
    } finally {
      clearInterval(beat);
    }
    await live.node.close();
  } finally {
    await served.close();
  }
});

test('bye hands unfinished jobs back at once; shutdown sends drain', async () => {
  const served = await serveWithNodes();
  const { node } = await RawNode.register(served.url, { slots: 1 });
  await served.dispatcher.submitJob(inlineJob(5));
  assert.equal((await node.next()).type, 'assign');
  node.send({ type: 'bye' });
  assert.equal((await node.closed).code, 1000);
  const other = (await RawNode.register(served.url, { slots: 1 })).node;
  const rerun = await other.next();
  assert.equal(rerun.jobs[0].job_id, 'j-5');
  other.answer(rerun.jobs);
  assert.equal((await served.dispatcher.getResult('j-5', { wait: 5 }))?.attempts, 2);
  await served.close();
  assert.equal((await other.next())?.type, 'drain');
  assert.equal((await other.closed).code, 1001);
});

test('blob windows reach nodes as signed URLs that stand in for the API token', async () => {
  const served = await serveWithNodes({}, { token: 'api-secret' });
  try {
    const data = Buffer.from('0123456789abcdef');
    const info = await served.dispatcher.blobs.put(data);
    const { node } = await RawNode.register(served.url, { slots: 1 });
    await served.dispatcher.submitJob({ job_id: 'b-1', substrates: ['volunteer'], program: { op: 'counteq', imm: 0x31, blob: info.blob_id, offset: 1, length: 4 } });
    const assign = await node.next();
    const url: string = assign.jobs[0].program.data_url;
    assert.equal(assign.jobs[0].program.blob, undefined);
    assert.match(url, new RegExp(`^${served.url}/v1/blobs/${info.blob_id}\\?exp=\\d+&sig=[\\w-]+$`));
    const ranged = await fetch(url, { headers: { range: 'bytes=1-4' } });
    assert.equal(ranged.status, 206);
    assert.equal(Buffer.from(await ranged.arrayBuffer()).toString(), '1234');
    const forged = await fetch(url.replace(/sig=./, (m) => m.endsWith('A') ? 'sig=B' : 'sig=A'));
    assert.equal(forged.status, 401);
    const otherBlob = await fetch(url.replace(info.blob_id, 'f'.repeat(32)));
    assert.equal(otherBlob.status, 401);
    node.send({ type: 'results', results: [{ assignment_id: assign.jobs[0].assignment_id, ok: true, result: { count: 1, bytes: 4 }, bytes_processed: 4, exec_time_ms: 0.1 }] });
    assert.deepEqual((await served.dispatcher.getResult('b-1', { wait: 5 }))?.result, { count: 1, bytes: 4 });
    await node.close();
  } finally {
    await served.close();
  }
});
