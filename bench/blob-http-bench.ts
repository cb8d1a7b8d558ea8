import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { processCpuMs, startServeProcess } from './serve-process.js';
import { curlPut, startPutLimits, type CurlPut, type MemoryTouch } from './blob-put-targets.js';
import { siblingModule } from './sibling-module.js';
import { summarize } from './stats.js';

/**
 * The blob store over HTTP on loopback, one keep-alive connection, against a
 * `packetfs serve` child process: PUT of a 256 MiB blob from a Node client
 * (sent from memory in 1 MiB writes), then GET of 8 MiB Range windows one
 * after another over it (four passes), and one whole-blob GET. Bodies are
 * discarded as they arrive. Best of the rounds for each; the machine's cores
 * are shared by both processes (and by whatever else runs), so the numbers
 * are a floor. The same requests go, in the same run, to the plainest Node
 * file server (blob-peer-server.ts: pipe to a file + fsync, createReadStream
 * per Range) as the peer. Beside MB/s: each server's CPU ms per MiB in each
 * phase (from /proc, robust to other load), and the disk's durable write
 * rate (write + fsync from memory) as the ceiling of any PUT that promises
 * durability.
 *
 * PUT, second table: curl uploads a 256 MiB file from the page cache
 * (blob-put-targets.ts), one connection, to each in turn every round —
 * `serve` (default `--fsync normal`: bytes in the OS before the 201, on disk
 * right after), `serve --fsync always` (on disk before the 201), the peer,
 * and the C limit (blob-put-limit.c: read and discard / + write to the page
 * cache / + SHA-256) — medians of the rounds, with server and curl CPU.
 * And, per round, the cost of fresh memory against reused memory
 * (blob-put-limit.c touch), which a growing page cache pays too.
 */
export async function benchBlobHttp(opts: { blobMiB?: number; windowMiB?: number; rounds?: number } = {}) {
  const rounds = opts.rounds ?? 5;
  const blobBytes = (opts.blobMiB ?? 256) * 1024 * 1024;
  const windowBytes = (opts.windowMiB ?? 8) * 1024 * 1024;
  const dir = await mkdtemp(join(tmpdir(), 'pfs-blob-bench-'));
  const serve = await startServeProcess(join(dir, 'normal'));
  const strict = await startServeProcess(join(dir, 'always'), ['--fsync', 'always']);
  const peer = await startPeer(dir);
  const started = await startPutLimits(join(dir, 'limit'));
  const limits = started.limits ?? [];
  // curl PUT targets, in the order each round visits them
  const putTargets = [
    { name: 'packetfs serve (--fsync normal)', url: `${serve.url}/v1/blobs`, pid: serve.child.pid! },
    { name: 'packetfs serve --fsync always', url: `${strict.url}/v1/blobs`, pid: strict.child.pid! },
    { name: 'plain Node file server (peer)', url: `${peer.url}/`, pid: peer.pid },
    ...limits.map((l) => ({ name: `C limit: ${l.mode}`, url: l.url, pid: l.pid })),
  ];
  try {
    // rounds alternate between the servers, so all see the same background load;
    // `sync` after each, so one's writeback does not slow the next
    const ours: Rates[] = [];
    const theirs: Rates[] = [];
    const disk: number[] = [];
    const curlPuts = new Map<string, CurlPut[]>(putTargets.map((t) => [t.name, []]));
    const touches: MemoryTouch[] = [];
    let curlMissing = false;
    for (let round = 0; round < rounds; round++) {
      ours.push(await measure(serve.url, serve.child.pid!, blobBytes, windowBytes, round, (id) => id));
      await syncAll();
      theirs.push(await measure(peer.url, peer.pid, blobBytes, windowBytes, round, () => 'latest'));
      await syncAll();
      disk.push(await diskWriteFsync(dir, blobBytes));
      // a new file per round (in the page cache: just written), so no PUT dedupes against an earlier one
      const source = join(dir, 'put-source.bin');
      await writeFile(source, blobBody(blobBytes, rounds + round));
      for (const target of putTargets) {
        await syncAll();
        const put = await curlPut(target.url, source, blobBytes, target.pid);
        if (put === null) curlMissing = true;
        else curlPuts.get(target.name)!.push(put);
      }
      await rm(source, { force: true });
      await syncAll();
      if (started.limits !== null) touches.push(await started.touch(blobBytes / 1024 / 1024));
    }
    return {
      blobMiB: blobBytes / 1024 / 1024, windowMiB: windowBytes / 1024 / 1024,
      rounds, packetfs: best(ours, windowBytes), peer: best(theirs, windowBytes),
      /** curl PUTs, medians over the rounds; null without curl */
      curlPut: curlMissing ? null : putTargets.map((t) => ({ target: t.name, ...medians(curlPuts.get(t.name)!) })),
      /** fresh memory's cost against reused memory's (medians): what a growing page cache pays per page */
      memoryTouch: touches.length === 0 ? null : {
        firstTouchMsPerMiB: Number(summarize(touches.map((t) => t.firstTouchMsPerMiB)).p50.toFixed(2)),
        secondTouchMsPerMiB: Number(summarize(touches.map((t) => t.secondTouchMsPerMiB)).p50.toFixed(3)),
      },
      /** why the C limit rows are missing, if they are */
      limitMissing: started.limits === null ? started.why : null,
      /** write(2) of the blob from memory + one fsync, in this process: the ceiling of any durable PUT to this disk */
      diskFsyncMBPerSec: Math.round(Math.max(...disk)),
    };
  } finally {
    for (const limit of limits) limit.stop();
    peer.stop();
    await serve.stop();
    await strict.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Passes of Range GETs over the whole blob per round. */
const RANGE_PASSES = 4;

/** MB/s per phase, and the server process's CPU ms (user + system) per MiB moved in it */
interface Rates { put: number; ranged: number; rangedCurl: number | null; whole: number; putCpu: number; rangedCpu: number; wholeCpu: number }

function medians(puts: CurlPut[]): CurlPut {
  const median = (values: number[]): number => summarize(values).p50;
  return {
    mbPerSec: Math.round(median(puts.map((p) => p.mbPerSec))),
    serverCpuMsPerMiB: Number(median(puts.map((p) => p.serverCpuMsPerMiB)).toFixed(2)),
    clientCpuMsPerMiB: Number(median(puts.map((p) => p.clientCpuMsPerMiB)).toFixed(2)),
  };
}

function best(rounds: Rates[], windowBytes: number) {
  const ranged = Math.max(...rounds.map((r) => r.ranged));
  return {
    putMBPerSec: Math.round(Math.max(...rounds.map((r) => r.put))),
    rangeGetMBPerSec: Math.round(ranged),
    /** the same Range passes read by curl (one process, one keep-alive connection): the server's rate without the Node client's per-response cost */
    rangeGetCurlMBPerSec: rounds.some((r) => r.rangedCurl !== null) ? Math.round(Math.max(...rounds.map((r) => r.rangedCurl ?? 0))) : null,
    wholeGetMBPerSec: Math.round(Math.max(...rounds.map((r) => r.whole))),
    windowRequestMs: Number((windowBytes / (ranged * 1e6) * 1000).toFixed(2)),
    // CPU per byte barely moves with other load on the machine, unlike MB/s: the fairer comparison on shared cores
    putCpuMsPerMiB: Number(Math.min(...rounds.map((r) => r.putCpu)).toFixed(3)),
    rangeGetCpuMsPerMiB: Number(Math.min(...rounds.map((r) => r.rangedCpu)).toFixed(3)),
    wholeGetCpuMsPerMiB: Number(Math.min(...rounds.map((r) => r.wholeCpu)).toFixed(3)),
  };
}

async function startPeer(dir: string): Promise<{ url: string; pid: number; stop(): void }> {
  const mod = siblingModule(import.meta.url, 'blob-peer-server');
  const child = spawn(process.execPath, [...mod.execArgv, mod.path, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (c: Buffer) => resolve(c.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

async function measure(base: string, pid: number, blobBytes: number, windowBytes: number, round: number, idOf: (putId: string) => string): Promise<Rates> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const body = blobBody(blobBytes, round);
    const mib = blobBytes / 1024 / 1024;
    let cpu0 = await processCpuMs(pid);
    let t0 = performance.now();
    const blobId = idOf(await putBlob(base, agent, body));
    const put = blobBytes / ((performance.now() - t0) / 1000) / 1e6;
    const putCpu = (await processCpuMs(pid) - cpu0) / mib;
    cpu0 = await processCpuMs(pid);
    t0 = performance.now();
    // several passes: one pass of 32 windows lasts ~0.2 s, too short to be more than a sample of the noise
    for (let pass = 0; pass < RANGE_PASSES; pass++) {
      for (let at = 0; at < blobBytes; at += windowBytes) {
        await getBytes(base, agent, blobId, `bytes=${at}-${Math.min(blobBytes, at + windowBytes) - 1}`);
      }
    }
    const ranged = RANGE_PASSES * blobBytes / ((performance.now() - t0) / 1000) / 1e6;
    const rangedCpu = (await processCpuMs(pid) - cpu0) / mib / RANGE_PASSES;
    const rangedCurl = await curlRangePasses(base, blobId, blobBytes, windowBytes);
    cpu0 = await processCpuMs(pid);
    t0 = performance.now();
    await getBytes(base, agent, blobId, undefined);
    const whole = blobBytes / ((performance.now() - t0) / 1000) / 1e6;
    const wholeCpu = (await processCpuMs(pid) - cpu0) / mib;
    return { put, ranged, rangedCurl, whole, putCpu, rangedCpu, wholeCpu };
  } finally {
    agent.destroy();
  }
}

/** A blob's bytes, different per round so no PUT dedupes against an earlier one. */
function blobBody(blobBytes: number, round: number): Buffer {
  const body = Buffer.alloc(blobBytes);
  for (let i = 0; i < body.length; i += 4096) body.writeUInt32LE((i * 2654435761 + round) >>> 0, i);
  return body;
}

/** sync(1): every dirty page of the machine to disk, so the next phase starts with none queued. */
function syncAll(): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('sync', [], { stdio: 'ignore' });
    child.once('error', () => resolve());
    child.once('exit', () => resolve());
  });
}

/**
 * RANGE_PASSES passes of Range GETs by one curl process over one keep-alive
 * connection (`--next` per window), bodies to /dev/null; MB/s, or null
 * without curl. Node's http client spends ~1–2 ms per 8 MiB response of its
 * own (chunk Buffers, GC), which the Node rows above include.
 */
async function curlRangePasses(base: string, id: string, blobBytes: number, windowBytes: number): Promise<number | null> {
  const args: string[] = [];
  for (let pass = 0; pass < RANGE_PASSES; pass++) {
    for (let at = 0; at < blobBytes; at += windowBytes) {
      if (args.length > 0) args.push('--next');
      args.push('-s', '-f', '-o', '/dev/null', '-r', `${at}-${Math.min(blobBytes, at + windowBytes) - 1}`, `${base}/v1/blobs/${id}`);
    }
  }
  const t0 = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('curl', args, { stdio: 'ignore' });
    child.once('error', () => resolve(null));
    child.once('exit', (c) => resolve(c));
  });
  if (code !== 0) return null;
  return RANGE_PASSES * blobBytes / ((performance.now() - t0) / 1000) / 1e6;
}

/** The disk's own rate for a durable write of `bytes` from memory (4 MiB writes, one fsync), MB/s. */
async function diskWriteFsync(dir: string, bytes: number): Promise<number> {
  const path = join(dir, 'disk-limit.bin');
  const chunk = Buffer.alloc(4 * 1024 * 1024, 7);
  const t0 = performance.now();
  const handle = await open(path, 'w');
  try {
    for (let at = 0; at < bytes; at += chunk.length) await handle.write(chunk, 0, Math.min(chunk.length, bytes - at));
    await handle.sync();
  } finally {
    await handle.close();
  }
  const rate = bytes / ((performance.now() - t0) / 1000) / 1e6;
  await rm(path, { force: true });
  return rate;
}

function putBlob(base: string, agent: Agent, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/v1/blobs`, { method: 'PUT', agent, headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => (res.statusCode === 201 ? resolve((JSON.parse(text) as { blob_id?: string }).blob_id ?? '') : reject(new Error(`PUT: HTTP ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    const step = 1024 * 1024;
    let at = 0;
    const pump = (): void => {
      while (at < body.length) {
        const ok = req.write(body.subarray(at, at + step));
        at += step;
        if (!ok) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
}

function getBytes(base: string, agent: Agent, id: string, range: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/v1/blobs/${id}`, { agent, headers: range === undefined ? {} : { range } }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => { n += c.length; });
      res.on('end', () => (res.statusCode === 200 || res.statusCode === 206 ? resolve(n) : reject(new Error(`GET: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchBlobHttp({ rounds: Number(process.env.BENCH_ROUNDS ?? 5) }), null, 2));
}
