import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseDispatcherMessage, parseNodeMessage } from '../src/node-protocol/index.js';
import { summarize } from './stats.js';

/**
 * The cost of reading node-protocol frames (src/node-protocol/), both ends:
 *   results  a node's `results` frame of 4,096 results (half single-op, half
 *            two-op), read by the dispatcher (parseNodeMessage: the schema's
 *            compiled check, then projection)
 *   assign   a dispatcher's `assign` frame of 64 jobs, read by a node
 *            (parseDispatcherMessage: TypeBox's interpreter, as in browsers)
 * JSON.parse of the same text, timed alone, is the floor every parser pays.
 * baseline: with PROTOCOL_BASELINE=<another build's dist/src/node-protocol/index.js>
 * (e.g. the build of 61f64fe, the hand-written parser), that build's parsers run
 * interleaved with this one's on the same frames in this process, so the
 * two are compared under the same load.
 */
type Parsers = { parseNodeMessage(text: string): unknown; parseDispatcherMessage(data: unknown, maxBytes: number): unknown };

export async function benchProtocol(opts: { runs?: number } = {}) {
  const runs = opts.runs ?? 60;
  const results = JSON.stringify({
    type: 'results',
    results: Array.from({ length: 4096 }, (_, i) => (i % 2 === 0
      ? { assignment_id: `a${i}`, ok: true, result: { count: i, bytes: 4096 }, bytes_processed: 4096, exec_time_ms: 0.3 }
      : { assignment_id: `a${i}`, ok: true, result: [{ crc32c: i, bytes: 10 }, { sum: 5, bytes: 10 }], bytes_processed: 20, exec_time_ms: 0.3 })),
  });
  const assign = JSON.stringify({
    type: 'assign',
    jobs: Array.from({ length: 64 }, (_, i) => ({ assignment_id: `a${i}`, job_id: `j${i}`, program: { op: 'counteq', imm: 1, data: 'AAAA' }, timeout_ms: 30_000 })),
  });
  const here: Parsers = { parseNodeMessage, parseDispatcherMessage };
  const other = process.env.PROTOCOL_BASELINE === undefined ? null : (await import(pathToFileURL(process.env.PROTOCOL_BASELINE).href)) as Parsers;
  const sides: Array<[string, Parsers]> = other === null ? [['this', here]] : [['this', here], ['baseline', other]];
  const times: Record<string, number[]> = {};
  const time = (key: string, fn: () => unknown, warm: boolean) => {
    const t = performance.now();
    fn();
    if (warm) return;
    const list = times[key] ?? [];
    list.push(performance.now() - t);
    times[key] = list;
  };
  for (let i = 0; i < runs + 5; i++) {
    const warm = i < 5;
    time('results JSON.parse', () => JSON.parse(results), warm);
    time('assign JSON.parse', () => JSON.parse(assign), warm);
    for (const [name, p] of i % 2 === 0 ? sides : [...sides].reverse()) {
      time(`results ${name}`, () => p.parseNodeMessage(results), warm);
      time(`assign ${name}`, () => p.parseDispatcherMessage(assign, 1 << 24), warm);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([key, xs]) => [key, { medianMs: summarize(xs).p50, bestMs: Math.min(...xs) }]));
}
