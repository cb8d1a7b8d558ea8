import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodePool, type NodeTransport } from '../../src/substrates/node-pool/node-pool.js';
import { until } from '../helpers/eventually.js';
import type { ExecRequest } from '../../src/substrates/substrate.js';

/** A transport that records what the pool sends. */
function fakeTransport(): NodeTransport & { sent: any[]; closedWith: number | null } {
  const t = {
    sent: [] as any[],
    closedWith: null as number | null,
    send(text: string) { t.sent.push(JSON.parse(text)); },
    close(code: number) { t.closedWith = code; },
    blobUrl: (id: string) => `http://127.0.0.1:1/v1/blobs/${id}?exp=1&sig=x`,
  };
  return t;
}

function request(i: number, deadline = Date.now() + 60_000): ExecRequest {
  return { job_id: `p-${i}`, program: { ops: [{ op: 'counteq', imm: 0 }], single: true, data: 'AAAA', offset: 0, length: null }, deadline, required_memory_mb: 1 };
}

function registerNode(pool: NodePool, slots: number) {
  const transport = fakeTransport();
  const conn = pool.connect(transport);
  pool.receive(conn, JSON.stringify({ type: 'register', protocol: 1, kind: 'node', slots, capabilities: {} }));
  assert.equal(transport.sent[0].type, 'registered');
  return { transport, conn };
}

const ok = (id: string) => ({ assignment_id: id, ok: true, result: { count: 3, bytes: 3 }, bytes_processed: 3, exec_time_ms: 0.1 });

test('never more jobs than free slots; the surplus fails over at once', async () => {
  const pool = new NodePool({ initialGrant: 1024 });
  try {
    const a = registerNode(pool, 2);
    const b = registerNode(pool, 3);
    const run = pool.execute('node', Array.from({ length: 7 }, (_, i) => request(i)));
    const assigns = [a, b].map((n) => n.transport.sent.filter((m) => m.type === 'assign'));
    assert.deepEqual(assigns.map((x) => x.length), [1, 1], 'one assign message per node per batch');
    assert.equal(assigns[0]![0].jobs.length, 2);
    assert.equal(assigns[1]![0].jobs.length, 3);
    assert.equal(pool.stats('node').free, 0);
    for (const [n, [msg]] of [[a, assigns[0]!], [b, assigns[1]!]] as const) {
      pool.receive(n.conn, JSON.stringify({ type: 'results', results: msg.jobs.map((j: any) => ok(j.assignment_id)) }));
    }
    const outcomes = await run;
    assert.equal(outcomes.filter((o) => o.ok).length, 5);
    assert.deepEqual(outcomes.filter((o) => !o.ok).map((o) => !o.ok && o.error.code), ['SUBSTRATE_FAILED', 'SUBSTRATE_FAILED']);
    assert.equal(pool.stats('node').free, 5);
  } finally {
    pool.close();
  }
});

test('a result after the deadline is ignored, and the slot stays busy until the node answers', async () => {
  // heartbeats every 100 ms against a 2.5 s silence limit: a loaded machine cannot make the node look gone
  const pool = new NodePool({ heartbeatMs: 1000 });
  try {
    const a = registerNode(pool, 1);
    const beat = setInterval(() => pool.receive(a.conn, '{"type":"heartbeat"}'), 100);
    const [outcome] = await pool.execute('node', [request(1, Date.now() + 20)]);
    clearInterval(beat);
    assert.equal(outcome!.ok, false);
    assert.equal(!outcome!.ok && outcome!.error.code, 'TIMEOUT');
    assert.equal(pool.stats('node').free, 0);
    const id = a.transport.sent[1].jobs[0].assignment_id;
    pool.receive(a.conn, JSON.stringify({ type: 'results', results: [ok(id)] }));
    assert.equal(pool.ignoredResults, 1);
    assert.equal(pool.stats('node').free, 1);
  } finally {
    pool.close();
  }
});

test("results for another node's or unknown assignments are ignored; a node that leaves fails its jobs over", async () => {
  const pool = new NodePool();
  try {
    const a = registerNode(pool, 1);
    const b = registerNode(pool, 1);
    const run = pool.execute('node', [request(1), request(2)]);
    const idOfA = a.transport.sent[1].jobs[0].assignment_id;
    pool.receive(b.conn, JSON.stringify({ type: 'results', results: [ok(idOfA), ok('nope')] }));
    assert.equal(pool.ignoredResults, 2);
    pool.disconnect(a.conn);
    const idOfB = b.transport.sent[1].jobs[0].assignment_id;
    pool.receive(b.conn, JSON.stringify({ type: 'results', results: [ok(idOfB)] }));
    const outcomes = await run;
    const failedOne = outcomes.find((o) => !o.ok)!;
    assert.equal(!failedOne.ok && failedOne.error.code, 'SUBSTRATE_FAILED');
    assert.equal(!failedOne.ok && failedOne.retryable, true);
    assert.equal(outcomes.filter((o) => o.ok).length, 1);
    assert.equal(pool.stats('node').nodes, 1);
  } finally {
    pool.close();
  }
});

test('a connection that does not register in time is closed with 4408', async () => {
  const pool = new NodePool({ heartbeatMs: 20, registerTimeoutMs: 30 });
  try {
    const transport = fakeTransport();
    pool.connect(transport);
    await until('the unregistered connection to close', () => transport.closedWith !== null);
    assert.equal(transport.closedWith, 4408);
    assert.equal(pool.connectionCount, 0);
  } finally {
    pool.close();
  }
});

test('slow start: a node gets two slots, one more per answer, up to what it announced', async () => {
  const pool = new NodePool();
  try {
    const a = registerNode(pool, 1024);
    assert.equal(pool.stats('node').free, 2);
    assert.equal(pool.stats('node').announced, 1024);
    const run = pool.execute('node', Array.from({ length: 5 }, (_, i) => request(i)));
    const [assign] = a.transport.sent.filter((m) => m.type === 'assign');
    assert.equal(assign.jobs.length, 2, 'only the granted slots are used');
    pool.receive(a.conn, JSON.stringify({ type: 'results', results: assign.jobs.map((j: any) => ok(j.assignment_id)) }));
    const outcomes = await run;
    assert.equal(outcomes.filter((o) => o.ok).length, 2);
    assert.equal(pool.stats('node').free, 4, 'two answers grew the grant from 2 to 4');
  } finally {
    pool.close();
  }
});

test('a node that sits on its jobs: they are re-run elsewhere, its grant halves, and it is dropped', async () => {
  const pool = new NodePool({ heartbeatMs: 1000, speculativeMinMs: 30, hoardTimeoutMs: 150 });
  try {
    const hoarder = registerNode(pool, 1024);
    const beat = setInterval(() => pool.receive(hoarder.conn, '{"type":"heartbeat"}'), 100);
    try {
      const started = Date.now();
      const outcomes = await pool.execute('node', [request(1), request(2)]);
      assert.ok(Date.now() - started < 5_000, 'settled long before the 60 s deadline');
      assert.deepEqual(outcomes.map((o) => !o.ok && o.retryable && o.error.code), ['TIMEOUT', 'TIMEOUT']);
      assert.equal(pool.speculativeReruns, 2);
      assert.equal(pool.views('node')[0]?.slots_granted, 1, 'the grant halved (2 → 1, at least one)');
      assert.ok(pool.stats('node').free <= 0, 'the held jobs keep their slots until the node answers');
      while (hoarder.transport.closedWith === null && Date.now() - started < 5_000) await new Promise((r) => setTimeout(r, 20));
      assert.equal(hoarder.transport.closedWith, 4409, 'dropped for sitting on jobs');
    } finally {
      clearInterval(beat);
    }
  } finally {
    pool.close();
  }
});
