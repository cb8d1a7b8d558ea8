import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { startServeProcess } from './serve-process.js';
import { siblingModule } from './sibling-module.js';

/**
 * The blob store over HTTP on loopback, one keep-alive connection, against a
 * `packetfs serve` child process: PUT of a 256 MiB blob (sent from memory in
 * 1 MiB writes), GET of 8 MiB Range windows one after another over it, and
 * one whole-blob GET. Bodies are discarded as they arrive. Best of 3 for
 * each; the machine's cores are shared by both processes (and by whatever
 * else runs), so the numbers are a floor. The same requests go, in the same
 * run, to the plainest Node file server (blob-peer-server.ts: pipe to a file
 * + fsync, createReadStream per Range) as the peer.
 */
export async function benchBlobHttp(opts: { blobMiB?: number; windowMiB?: number } = {}) {
  const blobBytes = (opts.blobMiB ?? 256) * 1024 * 1024;
  const windowBytes = (opts.windowMiB ?? 8) * 1024 * 1024;
  const dir = await mkdtemp(join(tmpdir(), 'pfs-blob-bench-'));
  const serve = await startServeProcess(dir);
  const peer = await startPeer(dir);
  try {
    // rounds alternate between the two servers, so both see the same background load
    const ours: Rates[] = [];
    const theirs: Rates[] = [];
    for (let round = 0; round < 3; round++) {
      ours.push(await measure(serve.url, blobBytes, windowBytes, round, (id) => id));
      theirs.push(await measure(peer.url, blobBytes, windowBytes, round, () => 'peer.bin'));
    }
    return { blobMiB: blobBytes / 1024 / 1024, windowMiB: windowBytes / 1024 / 1024, packetfs: best(ours, windowBytes), peer: best(theirs, windowBytes) };
  } finally {
    peer.stop();
    await serve.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface Rates { put: number; ranged: number; whole: number }

function best(rounds: Rates[], windowBytes: number) {
  const ranged = Math.max(...rounds.map((r) => r.ranged));
  return {
    putMBPerSec: Math.round(Math.max(...rounds.map((r) => r.put))),
    rangeGetMBPerSec: Math.round(ranged),
    wholeGetMBPerSec: Math.round(Math.max(...rounds.map((r) => r.whole))),
    windowRequestMs: Number((windowBytes / (ranged * 1e6) * 1000).toFixed(2)),
  };
}

async function startPeer(dir: string): Promise<{ url: string; stop(): void }> {
  const mod = siblingModule(import.meta.url, 'blob-peer-server');
  const child = spawn(process.execPath, [...mod.execArgv, mod.path, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (c: Buffer) => resolve(c.toString().trim())));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

async function measure(base: string, blobBytes: number, windowBytes: number, round: number, idOf: (putId: string) => string): Promise<Rates> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const body = Buffer.alloc(blobBytes);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32LE((i * 2654435761 + round) >>> 0, i);
    let t0 = performance.now();
    const blobId = idOf(await putBlob(base, agent, body));
    const put = blobBytes / ((performance.now() - t0) / 1000) / 1e6;
    t0 = performance.now();
    for (let at = 0; at < blobBytes; at += windowBytes) {
      await getBytes(base, agent, blobId, `bytes=${at}-${Math.min(blobBytes, at + windowBytes) - 1}`);
    }
    const ranged = blobBytes / ((performance.now() - t0) / 1000) / 1e6;
    t0 = performance.now();
    await getBytes(base, agent, blobId, undefined);
    const whole = blobBytes / ((performance.now() - t0) / 1000) / 1e6;
    return { put, ranged, whole };
  } finally {
    agent.destroy();
  }
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
