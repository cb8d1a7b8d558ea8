import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import WebSocket from 'ws';
import { runOps } from '../../src/ops/index.js';
import { serveDispatcher, call } from '../server/harness.js';
import { SimNode } from './sim-node.js';

/**
 * Property: whatever sequence of frames nodes send — valid, malformed,
 * out of order, for other nodes' assignments, lies, junk, failures with any
 * code, binary, bye, abrupt closes — the dispatcher keeps serving, every job
 * still finishes successfully with the right value (no node fails a job for
 * good), and a stored result that names a node is one that node really sent.
 */
type Action =
  | { t: 'register'; slots: number; kind: string }
  | { t: 'answer'; which: 'own' | 'other' | 'unknown'; how: 'right' | 'wrong' | 'junk' | 'error'; code: string }
  | { t: 'raw'; text: string }
  | { t: 'binary' }
  | { t: 'heartbeat'; free: number }
  | { t: 'bye' }
  | { t: 'close' };

const CODES = ['WINDOW_OUT_OF_RANGE', 'INVALID_JOB', 'DATA_URL_FORBIDDEN', 'TIMEOUT', 'SUBSTRATE_FAILED', 'lower_case', ''];

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ t: fc.constant('register' as const), slots: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: -5, max: 5000 })), kind: fc.constantFrom('node', 'browser', 'gpu') }),
  fc.record({ t: fc.constant('answer' as const), which: fc.constantFrom('own' as const, 'own' as const, 'other' as const, 'unknown' as const), how: fc.constantFrom('right' as const, 'wrong' as const, 'junk' as const, 'error' as const), code: fc.constantFrom(...CODES) }),
  fc.record({ t: fc.constant('raw' as const), text: fc.oneof(fc.string({ maxLength: 40 }), fc.json({ maxDepth: 2 }), fc.constantFrom('{"type":"results","results":[]}', '{"type":"results","results":[{"assignment_id":"x","ok":"yes"}]}', '{"type":"register"}', 'null', '[]')) }),
  fc.record({ t: fc.constant('binary' as const) }),
  fc.record({ t: fc.constant('heartbeat' as const), free: fc.integer({ min: -1, max: 2000 }) }),
  fc.record({ t: fc.constant('bye' as const) }),
  fc.record({ t: fc.constant('close' as const) }),
);

interface FuzzConn {
  ws: WebSocket;
  nodeId: string | null;
  own: Array<{ assignment_id: string; job_id: string; data: Buffer; program: any }>;
  sent: Map<string, string[]>;
  open: Promise<void>;
}

function connect(url: string): FuzzConn {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/v1/nodes/ws');
  const conn: FuzzConn = { ws, nodeId: null, own: [], sent: new Map(), open: new Promise((resolve) => { ws.once('open', () => resolve()); ws.once('error', () => resolve()); ws.once('close', () => resolve()); }) };
  ws.on('error', () => {});
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type === 'registered') conn.nodeId = msg.node_id;
    if (msg.type === 'assign') for (const j of msg.jobs) conn.own.push({ assignment_id: j.assignment_id, job_id: j.job_id, data: Buffer.from(j.program.data, 'base64'), program: j.program });
  });
  return conn;
}

function perform(conn: FuzzConn, other: FuzzConn, a: Action): void {
  const ws = conn.ws;
  if (ws.readyState !== ws.OPEN) return;
  switch (a.t) {
    case 'register':
      ws.send(JSON.stringify({ type: 'register', protocol: 1, kind: a.kind, slots: a.slots, capabilities: {} }));
      return;
    case 'answer': {
      const source = a.which === 'other' ? other : conn;
      const target = a.which === 'unknown' ? { assignment_id: 'nope-' + Math.random(), job_id: 'none', data: Buffer.alloc(3), program: { ops: [{ op: 'counteq', imm: 0 }], single: true } } : source.own.shift();
      if (target === undefined) return;
      const out = runOps(target.program.ops, target.data);
      const truth = target.program.single ? out[0] : out;
      let result: unknown = truth;
      if (a.how === 'wrong') result = JSON.parse(JSON.stringify(truth).replace(/(\d+)/, (d) => String(Number(d) + 1)));
      if (a.how === 'junk') result = { evil: 'x' };
      const item = a.how === 'error'
        ? { assignment_id: target.assignment_id, ok: false, error: { code: a.code, message: 'no' }, retryable: false, exec_time_ms: 0 }
        : { assignment_id: target.assignment_id, ok: true, result, bytes_processed: target.data.length, exec_time_ms: 0.01 };
      if (a.how !== 'error') {
        const list = conn.sent.get(target.job_id) ?? [];
        list.push(JSON.stringify(result));
        conn.sent.set(target.job_id, list);
      }
      ws.send(JSON.stringify({ type: 'results', results: [item] }));
      return;
    }
    case 'raw': ws.send(a.text); return;
    case 'binary': ws.send(Buffer.from([1, 2, 3])); return;
    case 'heartbeat': ws.send(JSON.stringify({ type: 'heartbeat', free_slots: a.free })); return;
    case 'bye': ws.send('{"type":"bye"}'); return;
    case 'close': ws.terminate(); return;
  }
}

test('fuzzed node message sequences never crash the dispatcher, fail a job for good, or store what the node did not send', { timeout: 120_000 }, async () => {
  const served = await serveDispatcher({ dispatcher: { threads: 1, nodePool: { speculativeMinMs: 200 } } });
  let run = 0;
  try {
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 25 }), fc.array(action, { minLength: 1, maxLength: 25 }), async (scriptA, scriptB) => {
      run++;
      const jobs = Array.from({ length: 4 }, (_, i) => {
        const data = randomBytes(8 + i);
        return { id: `fz-${run}-${i}`, data, expected: JSON.stringify(runOps([{ op: 'crc32c', imm: 0 }], data)[0]) };
      });
      await served.dispatcher.submitJobs(jobs.map((j) => ({ job_id: j.id, substrates: ['volunteer'], program: { op: 'crc32c', data: j.data.toString('base64') } })));
      const a = connect(served.url);
      const b = connect(served.url);
      await Promise.all([a.open, b.open]);
      perform(a, b, { t: 'register', slots: 4, kind: 'node' });
      for (let i = 0; i < Math.max(scriptA.length, scriptB.length); i++) {
        await new Promise((r) => setTimeout(r, 3));
        if (scriptA[i]) perform(a, b, scriptA[i]!);
        if (scriptB[i]) perform(b, a, scriptB[i]!);
      }
      a.ws.terminate();
      b.ws.terminate();
      const honest = new SimNode({ url: served.url, slots: 4, behave: (_j, truth, bytes) => ({ kind: 'result', result: truth, bytes }) });
      await honest.start();
      try {
        for (const job of jobs) {
          const record = await served.dispatcher.getResult(job.id, { wait: 30 });
          assert.equal(record?.status, 'succeeded', `${job.id}: ${JSON.stringify(record)}`);
          assert.equal(JSON.stringify(record!.result), job.expected, `${job.id}: a wrong value was stored`);
          for (const conn of [a, b]) {
            if (conn.nodeId !== null && record!.node === conn.nodeId) {
              assert.ok(conn.sent.get(job.id)?.includes(job.expected), `${job.id} names node ${conn.nodeId}, which never sent that result`);
            }
          }
        }
      } finally {
        honest.stop();
      }
      assert.equal((await call(`${served.url}/healthz`)).status, 200);
    }), { numRuns: 20 });
  } finally {
    await served.close();
  }
});
