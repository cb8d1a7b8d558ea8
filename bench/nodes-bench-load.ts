import WebSocket from 'ws';
import { runOps } from '../src/ops/index.js';
import type { Assignment } from '../src/node-protocol/index.js';

/**
 * The load side of the node scale benchmark (forked by nodes-bench.ts):
 * opens N simulated nodes to one dispatcher, each a real WebSocket speaking
 * protocol v1, computing real results for every assignment (inline windows)
 * and heartbeating as told.
 */
const [url, countArg, slotsArg, liarsArg] = process.argv.slice(2);
const count = Number(countArg);
const slots = Number(slotsArg);
/** fraction of nodes that lie (a wrong count of the right shape); a banned liar comes back under a new id */
const liars = Number(liarsArg ?? 0);
const decoded = new Map<string, Uint8Array>();
let registered = 0;
let results = 0;

function open(i: number, rejoin = 0): Promise<void> {
  const lying = i < count * liars;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url!, { perMessageDeflate: false });
    ws.once('error', reject);
    ws.once('close', (code) => { if (lying && code === 4001 && rejoin < 50) void open(i, rejoin + 1).catch(() => {}); });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'register', protocol: 1, kind: 'node', slots, node_id: `sim-${i}-${rejoin}`, capabilities: { cores: 1 } })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type === 'registered') {
        registered++;
        setInterval(() => ws.send('{"type":"heartbeat"}'), msg.heartbeat_ms).unref();
        resolve();
      } else if (msg.type === 'assign') {
        ws.send(JSON.stringify({ type: 'results', results: msg.jobs.map(lying ? lie : answer) }));
        results += msg.jobs.length;
      }
    });
  });
}

function answer(job: Assignment): object {
  const t0 = performance.now();
  let bytes = decoded.get(job.program.data!);
  if (bytes === undefined) {
    bytes = Buffer.from(job.program.data!, 'base64');
    decoded.set(job.program.data!, bytes);
  }
  const out = runOps(job.program.ops, bytes, job.program.fnv_state);
  return { assignment_id: job.assignment_id, ok: true, result: job.program.single ? out[0] : out, bytes_processed: bytes.length, exec_time_ms: performance.now() - t0 };
}

function lie(job: Assignment): object {
  const honest = answer(job) as { result: { count: number; bytes: number } };
  const r = honest.result;
  return { ...honest, result: 'count' in r ? { count: (r.count + 1) % (r.bytes + 1), bytes: r.bytes } : r };
}

const t0 = performance.now();
for (let i = 0; i < count; i += 500) {
  await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, k) => open(i + k)));
}
process.send!({ type: 'connected', nodes: registered, seconds: (performance.now() - t0) / 1000, rss: process.memoryUsage().rss });
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'stats') process.send!({ type: 'stats', results });
  else process.exit(0);
});
