import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { RawNode } from './raw-node.js';
import { inlineJob, serveWithNodes } from './served.js';

/** A deterministic PRNG so a failing run can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const VALID_REGISTER = { type: 'register', protocol: 1, kind: 'node', slots: 2, capabilities: { cores: 1 } };

/** Frames that are almost right: each breaks one field of a valid message, or the sequence. */
function mutant(rand: () => number): string | Buffer {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const weird = pick<unknown>([null, -1, 1e308, 'x', '', [], {}, true, 2 ** 53, NaN, { $ne: 1 }, 'a'.repeat(5000)]);
  switch (Math.floor(rand() * 8)) {
    case 0: return randomBytes(Math.floor(rand() * 64));
    case 1: return randomBytes(Math.floor(rand() * 256)).toString('latin1');
    case 2: return JSON.stringify({ ...VALID_REGISTER, [pick(['protocol', 'kind', 'slots', 'capabilities', 'token', 'node_id'])]: weird });
    case 3: return JSON.stringify({ type: 'results', results: [{ assignment_id: weird, ok: true, result: weird, bytes_processed: weird, exec_time_ms: weird }] });
    case 4: return JSON.stringify({ type: pick(['assign', 'registered', 'drain', 'error', weird]) });
    case 5: return JSON.stringify(weird);
    case 6: return '{"type":"register","protocol":1,' + '['.repeat(Math.floor(rand() * 5000));
    default: return JSON.stringify({ ...VALID_REGISTER, capabilities: { cores: weird, wasm: weird, user_agent: weird, device_memory_gb: weird } });
  }
}

test('thousands of random and malformed frames from many connections never harm the dispatcher', async () => {
  const served = await serveWithNodes();
  try {
    const bystander = await RawNode.register(served.url, { slots: 4 });
    // a live node heartbeats; on a loaded machine the flood outlasts the silence limit (2.5 heartbeats)
    const beat = setInterval(() => bystander.node.send({ type: 'heartbeat', free_slots: 4 }), 1000);
    const rand = prng(42);
    let frames = 0;
    for (let round = 0; round < 40; round++) {
      const sockets = Array.from({ length: 25 }, () => new WebSocket(served.url.replace('http', 'ws') + '/v1/nodes/ws'));
      await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => {
        ws.on('error', () => {});
        ws.once('close', () => resolve());
        ws.once('open', () => {
          // some register properly first, so the garbage lands on a registered node
          if (rand() < 0.3) ws.send(JSON.stringify(VALID_REGISTER));
          for (let k = 0; k < 4 && ws.readyState === ws.OPEN; k++, frames++) ws.send(mutant(rand));
          // a connection that broke nothing fatal is closed by us
          setTimeout(() => ws.close(), 20);
        });
      })));
    }
    clearInterval(beat);
    assert.ok(frames >= 3000, `sent ${frames} frames`);
    // the dispatcher still serves HTTP, its pool has only the bystander, and the bystander still gets work
    const health = await fetch(`${served.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(served.dispatcher.nodes?.connectionCount, 1);
    await served.dispatcher.submitJob(inlineJob(1));
    const assign = await bystander.node.next();
    assert.equal(assign.type, 'assign');
    bystander.node.answer(assign.jobs);
    assert.equal((await served.dispatcher.getResult('j-1', { wait: 5 }))?.status, 'succeeded');
    await bystander.node.close();
  } finally {
    await served.close();
  }
});
