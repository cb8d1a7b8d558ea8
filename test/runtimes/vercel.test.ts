import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EdgeVM } from '@edge-runtime/vm';
import { build, type Plugin } from 'esbuild';
import { loadBlob } from '../ops/vectors.js';
import { startBlobServer, type BlobServer } from './blob-server.js';
import { assertOriginalReply, assertVectorResults, bundlePath, ensureBundles, inlineVectorJobs, originalBodies, windowVectorJobs } from './runtime-fixtures.js';

/**
 * The built Vercel Edge entry (dist/runtimes/vercel/edge.js, with kernels.wasm
 * beside it) run the way Vercel runs an Edge Function, in Vercel's own Edge
 * Runtime VM (@edge-runtime/vm, what `vercel dev` runs Edge Functions in):
 * code generation from strings and from wasm bytes disallowed, as on the real
 * Edge. Vercel's build turns the bundle's `import … from './kernels.wasm?module'`
 * into a global holding the module it compiled ahead of time; vercelWasm()
 * below does the same (the esbuild step @vercel/node's Edge build uses), so
 * the test proves the kernels load there without compiling bytes.
 */
const EDGE_ENV = { PACKETFS_TOKEN: 'edge-token', PACKETFS_ALLOW_PRIVATE_DATA_URLS: '1' };

/** `.wasm?module` → `globalThis.wasm_<sha1>`, the module compiled outside the isolate (collected in `modules`). */
function vercelWasm(modules: Map<string, string>): Plugin {
  return {
    name: 'vercel-wasm',
    setup(b) {
      b.onResolve({ filter: /\.wasm\?module$/ }, (args) => ({ path: path.resolve(args.resolveDir, args.path.replace(/\?module$/, '')), namespace: 'vercel-wasm' }));
      b.onLoad({ filter: /.*/, namespace: 'vercel-wasm' }, async (args) => {
        const name = `wasm_${createHash('sha1').update(await readFile(args.path)).digest('hex')}`;
        modules.set(name, args.path);
        return { loader: 'js', contents: `export default globalThis[${JSON.stringify(name)}];` };
      });
    },
  };
}

/** The Edge Function in an Edge Runtime VM that answers dispatchFetch. */
async function loadEdgeFunction(): Promise<EdgeVM> {
  const modules = new Map<string, string>();
  const bundled = await build({
    entryPoints: [bundlePath('vercel/edge.js')], bundle: true, write: false, format: 'iife', globalName: 'edgeFunction',
    platform: 'neutral', target: 'es2022', logLevel: 'warning', plugins: [vercelWasm(modules)],
  });
  const bindings: Record<string, WebAssembly.Module> = {};
  for (const [name, file] of modules) bindings[name] = await WebAssembly.compile(await readFile(file));
  assert.equal(modules.size, 1, 'the bundle imports its kernels as one .wasm?module');
  const vm = new EdgeVM({
    codeGeneration: { strings: false, wasm: false },
    extend: (context) => Object.assign(context, bindings, { process: { env: { ...EDGE_ENV } } }),
  });
  vm.evaluate(`${bundled.outputFiles[0]!.text}
addEventListener('fetch', (event) => event.respondWith(edgeFunction.default(event.request)));
globalThis.edgeConfig = edgeFunction.config;`);
  return vm;
}

describe('vercel edge bundle, in the Edge Runtime VM', () => {
  let vm: EdgeVM;
  let server: BlobServer;

  before(async () => {
    await ensureBundles();
    vm = await loadEdgeFunction();
    server = await startBlobServer(loadBlob());
  });
  after(async () => {
    await server?.close();
  });

  const compute = (body: unknown, headers: Record<string, string> = { authorization: 'Bearer edge-token' }) =>
    vm.dispatchFetch('https://edge.example/compute', { method: 'POST', headers, body: JSON.stringify(body) });

  it('declares the edge runtime, uses no Node built-ins and inlines no wasm bytes', async () => {
    assert.deepEqual({ ...vm.evaluate('edgeConfig') as object }, { runtime: 'edge' });
    const source = await readFile(bundlePath('vercel/edge.js'), 'utf8');
    assert.doesNotMatch(source, /from\s*["']node:|require\(["']node:/);
    assert.match(source, /from\s*["']\.\/kernels\.wasm\?module["']/);
    assert.doesNotMatch(source, /KERNELS_WASM|new WebAssembly\.Module\(/);
    const wasm = await readFile(bundlePath('vercel/kernels.wasm'));
    assert.deepEqual([...wasm.subarray(0, 4)], [0, 0x61, 0x73, 0x6d]);
  });

  it('forbids compiling code from strings and wasm from bytes, as the real Edge does', () => {
    assert.throws(() => vm.evaluate('eval("1 + 1")'), /Code generation from strings disallowed/);
    assert.throws(() => vm.evaluate('new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))'), /disallowed/);
  });

  it('serves /health with the WebAssembly kernels active, and /compute/health; refuses a missing token', async () => {
    const health = await vm.dispatchFetch('https://edge.example/health');
    const body = (await health.json()) as { runtime: string; kernels: string };
    assert.equal(body.runtime, 'vercel');
    assert.equal(body.kernels, 'wasm-simd', 'the .wasm?module kernels run, not the pure TypeScript fallback');
    assert.equal((await vm.dispatchFetch('https://edge.example/compute/health')).status, 200);
    const denied = await compute({ job_id: 'x', program: { op: 'add', data: '' } }, {});
    assert.equal(denied.status, 401);
  });

  it("answers the original prototype's bodies with `results`", async () => {
    const { camel, snake, count } = originalBodies(server.url);
    for (const body of [camel, snake]) assertOriginalReply(await (await compute(body)).json() as Record<string, unknown>, body, count);
  });

  it('passes every vector and the Range windows on the WebAssembly kernels', async () => {
    const cases = [...inlineVectorJobs(), ...windowVectorJobs(server.url)];
    const response = await compute({ jobs: cases.map((c) => c.job) });
    assert.equal(response.status, 200);
    assertVectorResults(cases, ((await response.json()) as { results: never[] }).results);
  });
});
