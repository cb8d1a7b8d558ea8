import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import fc from 'fast-check';
import type { Browser } from 'playwright-core';
import { LIMITS, PRE_REGISTER_MAX_BYTES } from '../../src/node-protocol/index.js';
import { packageRoot } from '../../src/server/routes/browser-assets.js';
import { launchChromium } from '../browser/chromium.js';
import { verdicts, type Frame, type Verdict } from './protocol-verdicts.js';

/**
 * One node protocol, three ends: the dispatcher (node-pool), the browser
 * runtime and the Node volunteer read frames with the one parser in
 * src/node-protocol/. Checked three ways: (1) no end carries a parser of
 * its own (each imports the shared one); (2) the parser bundled for the
 * browser, run in real Chromium, gives exactly the verdicts Node gives on
 * generated frames of both directions, valid and broken; (3) those verdicts
 * hold the documented bounds (every broken frame is refused with its field,
 * nothing crashes).
 */
const root = packageRoot();

test('the dispatcher, the browser runtime and the Node volunteer import the one parser and define none', async () => {
  const ends = {
    dispatcher: ['src/substrates/node-pool/node-pool.ts'],
    browser: ['src/runtimes/browser/node-client.ts'],
    volunteer: ['src/runtimes/node-volunteer/volunteer-client.ts'],
  };
  for (const [end, files] of Object.entries(ends)) {
    for (const file of files) {
      const text = await readFile(join(root, file), 'utf8');
      assert.match(text, /from '\.\.\/\.\.\/node-protocol\/index\.js'/, `${end} (${file}) imports the shared protocol module`);
      assert.match(text, end === 'dispatcher' ? /parseNodeMessage\(/ : /parseDispatcherMessage\(/, `${end} parses with it`);
    }
  }
  // nowhere else in src/ is a frame parser defined
  const defining: string[] = [];
  for (const file of await sourceFiles(join(root, 'src'))) {
    if (/function parse(Node|Dispatcher)Message\b/.test(await readFile(file, 'utf8'))) defining.push(relative(root, file));
  }
  assert.deepEqual(defining, ['src/node-protocol/parse.ts']);
});

let browser: Browser;
let bundle: string;
before(async () => {
  const out = await build({
    entryPoints: [join(root, 'test/nodes/protocol-verdicts.ts')], bundle: true, write: false, platform: 'browser', format: 'iife', target: 'es2022', logLevel: 'warning',
  });
  bundle = out.outputFiles[0]!.text;
  browser = await launchChromium();
});
after(async () => { await browser?.close(); });

test('Node and the browser bundle give the same verdict on every frame, valid or broken, both directions', async () => {
  const frames = fc.sample(frame, { numRuns: 600, seed: 914 });
  const here = verdicts(frames);
  const page = await browser.newPage();
  try {
    await page.addScriptTag({ content: bundle });
    const there = await page.evaluate((fs) => (globalThis as unknown as { protocolVerdicts(f: Frame[]): Verdict[] }).protocolVerdicts(fs), frames);
    assert.equal(there.length, frames.length);
    for (let i = 0; i < frames.length; i++) assert.deepEqual(there[i], here[i], `frame ${JSON.stringify(frames[i])}`);
  } finally {
    await page.close();
  }
  const accepted = here.filter((v) => v.ok).length;
  // the sample must exercise both outcomes, or the comparison says little
  assert.ok(accepted > 100 && accepted < frames.length - 100, `${accepted} of ${frames.length} accepted`);
  for (let i = 0; i < frames.length; i++) assert.ok(!('crashed' in here[i]!), `frame ${i} crashed the parser: ${JSON.stringify(here[i])}`);
});

test('the bounds hold at every end: broken frames are refused with the field at fault', () => {
  const node = (text: string): Verdict => verdicts([{ from: 'node', text, maxBytes: 0 }])[0]!;
  const disp = (value: unknown, maxBytes = 1 << 20): Verdict => verdicts([{ from: 'dispatcher', text: JSON.stringify(value), maxBytes }])[0]!;
  const job = { assignment_id: 'a1', job_id: 'j1', program: { op: 'crc32c', data: '' }, timeout_ms: 1000 };
  assert.deepEqual(disp({ type: 'assign', jobs: [job] }), { ok: true, message: { type: 'assign', jobs: [job] } });
  assert.deepEqual(disp({ type: 'assign', jobs: [] }), { ok: false, path: 'jobs' });
  assert.deepEqual(disp({ type: 'assign', jobs: Array(LIMITS.maxBatch + 1).fill(job) }, 1 << 26), { ok: false, path: 'jobs' });
  assert.deepEqual(disp({ type: 'assign', jobs: [{ ...job, timeout_ms: 0 }] }), { ok: false, path: 'jobs[0].timeout_ms' });
  assert.deepEqual(disp({ type: 'assign', jobs: [{ ...job, assignment_id: 'x'.repeat(LIMITS.maxIdLength + 1) }] }), { ok: false, path: 'jobs[0].assignment_id' });
  assert.deepEqual(disp({ type: 'registered', node_id: 'n 1', heartbeat_ms: 5000, max_message_bytes: 1, max_batch: 1 }), { ok: false, path: 'node_id' });
  assert.deepEqual(disp({ type: 'registered', node_id: 'n1', heartbeat_ms: 5000, max_message_bytes: 1, max_batch: LIMITS.maxBatch + 1 }), { ok: false, path: 'max_batch' });
  assert.deepEqual(disp({ type: 'error', code: 'lower', message: 'x' }), { ok: false, path: 'code' });
  assert.deepEqual(disp({ type: 'drain', extra: 1 }), { ok: true, message: { type: 'drain' } });
  assert.deepEqual(disp({ type: 'registered', node_id: 'n1', heartbeat_ms: 5000, max_message_bytes: 1, max_batch: 1, pad: 'x'.repeat(PRE_REGISTER_MAX_BYTES) }, PRE_REGISTER_MAX_BYTES), { ok: false, path: '$' });
  assert.deepEqual(node('{"type":"heartbeat","free_slots":-1}'), { ok: false, path: 'free_slots' });
  assert.deepEqual(node('{"type":"results","results":[{"assignment_id":"a","ok":false,"error":{"code":"x","message":"m"},"exec_time_ms":1}]}'), { ok: false, path: 'results[0].error.code' });
  assert.deepEqual(node('{"type":"register","protocol":2,"kind":"node","slots":1,"capabilities":{}}'), { ok: false, path: 'protocol' });
});

const id = fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/);
const anyValue = fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.double(), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}));

/** A valid message of either direction, then maybe one field replaced, removed or added. */
const validMessage: fc.Arbitrary<{ from: Frame['from']; value: Record<string, unknown> }> = fc.oneof(
  fc.record({ node_id: id, heartbeat_ms: fc.integer({ min: 1, max: 60_000 }), max_message_bytes: fc.integer({ min: 1, max: 1 << 24 }), max_batch: fc.integer({ min: 1, max: 4096 }) })
    .map((v) => ({ from: 'dispatcher' as const, value: { type: 'registered', ...v } })),
  fc.array(fc.record({ assignment_id: id, job_id: id, program: fc.constant({ op: 'counteq', imm: 1, data: 'AA==' }), timeout_ms: fc.integer({ min: 1, max: 300_000 }) }), { minLength: 1, maxLength: 4 })
    .map((jobs) => ({ from: 'dispatcher' as const, value: { type: 'assign', jobs } })),
  fc.constant({ from: 'dispatcher' as const, value: { type: 'drain' } }),
  fc.record({ code: fc.constantFrom('UNAUTHORIZED', 'INVALID_MESSAGE'), message: fc.string({ minLength: 1, maxLength: 20 }) })
    .map((v) => ({ from: 'dispatcher' as const, value: { type: 'error', ...v } })),
  fc.record({ kind: fc.constantFrom('browser', 'node'), slots: fc.integer({ min: 1, max: 64 }), node_id: id, cores: fc.integer({ min: 1, max: 64 }) })
    .map((v) => ({ from: 'node' as const, value: { type: 'register', protocol: 1, kind: v.kind, slots: v.slots, node_id: v.node_id, capabilities: { cores: v.cores, wasm: true } } })),
  fc.array(fc.oneof(
    fc.record({ assignment_id: id, count: fc.nat(1000) }).map((r) => ({ assignment_id: r.assignment_id, ok: true, result: { count: r.count, bytes: 4 }, bytes_processed: 4, exec_time_ms: 0.5 })),
    fc.record({ assignment_id: id }).map((r) => ({ assignment_id: r.assignment_id, ok: false, error: { code: 'TIMEOUT', message: 'late' }, retryable: true, exec_time_ms: 1 })),
  ), { minLength: 1, maxLength: 3 }).map((results) => ({ from: 'node' as const, value: { type: 'results', results } })),
  fc.nat(1024).map((free) => ({ from: 'node' as const, value: { type: 'heartbeat', free_slots: free } })),
  fc.constant({ from: 'node' as const, value: { type: 'bye' } }),
);

const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 2, arbitrary: validMessage.map((m) => ({ from: m.from, text: JSON.stringify(m.value), maxBytes: 1 << 20 })) },
  { weight: 3, arbitrary: fc.tuple(validMessage, fc.nat(), anyValue, fc.constantFrom('replace', 'remove', 'add', 'nest'))
    .map(([m, pick, value, how]) => {
      const v: Record<string, unknown> = structuredClone(m.value);
      const keys = Object.keys(v).filter((k) => k !== 'type');
      const key = keys.length === 0 ? 'type' : keys[pick % keys.length]!;
      if (how === 'replace') v[key] = value;
      else if (how === 'remove') delete v[key];
      else if (how === 'add') v.surprise = value;
      else {
        // break something one level down: the first element of the first array or object field
        const inner = v[key];
        const first = Array.isArray(inner) ? inner[0] : inner;
        if (first !== null && typeof first === 'object') {
          const innerKeys = Object.keys(first);
          if (innerKeys.length > 0) (first as Record<string, unknown>)[innerKeys[pick % innerKeys.length]!] = value;
        }
      }
      return { from: m.from, text: JSON.stringify(v), maxBytes: 1 << 20 };
    }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom<Frame['from']>('node', 'dispatcher'), fc.oneof(fc.string({ maxLength: 30 }), fc.json({ maxDepth: 2 })))
    .map(([from, text]) => ({ from, text, maxBytes: 1 << 20 })) },
  { weight: 1, arbitrary: validMessage.map((m) => ({ from: 'dispatcher' as const, text: JSON.stringify(m.value), maxBytes: 16 })) },
);

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await sourceFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}
