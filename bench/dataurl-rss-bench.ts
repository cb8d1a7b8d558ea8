import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startServeProcess } from './serve-process.js';

/**
 * Memory of `packetfs serve` while 24 data_url jobs with no `length` (each
 * a 128 MiB file, from a loopback server in this process) run at once: the
 * server's RSS (VmRSS of the child, sampled every 20 ms) before and at its
 * peak. Windows stream through op streams, so the growth should stay far
 * below 24 × 128 MiB; the limit is 512 MiB.
 */
export async function benchDataUrlRss(opts: { jobs?: number; fileMiB?: number } = {}) {
  const jobs = opts.jobs ?? 24;
  const fileBytes = (opts.fileMiB ?? 128) * 1024 * 1024;
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
  const files = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(fileBytes) });
    let sent = 0;
    const pump = (): void => {
      while (sent < fileBytes) {
        sent += chunk.length;
        if (!res.write(chunk)) { res.once('drain', pump); return; }
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'pfs-rss-bench-'));
  const serve = await startServeProcess(dir, ['--allow-private-data-urls']);
  try {
    const rss = async (): Promise<number> => {
      const status = await readFile(`/proc/${serve.child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    };
    const before = await rss();
    let peak = before;
    const sampler = setInterval(() => { void rss().then((r) => { peak = Math.max(peak, r); }); }, 20);
    const t0 = performance.now();
    const body = { jobs: Array.from({ length: jobs }, (_, i) => ({ job_id: `rss-${i}`, program: { op: 'crc32c', data_url: `${origin}/file-${i}.bin` }, timeout_s: 600 })) };
    const posted = await fetch(`${serve.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (posted.status !== 202) throw new Error(`submit: HTTP ${posted.status}`);
    let failed = 0;
    for (let i = 0; i < jobs; i++) {
      const r = await (await fetch(`${serve.url}/v1/jobs/rss-${i}/result?wait=60`)).json() as { status: string; bytes_processed?: number };
      if (r.status !== 'succeeded' || r.bytes_processed !== fileBytes) failed++;
    }
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, await rss());
    return {
      jobs, fileMiB: fileBytes / 1024 / 1024, failed, seconds: Number(seconds.toFixed(2)),
      rssBeforeMiB: Math.round(before / 1024 / 1024), rssPeakMiB: Math.round(peak / 1024 / 1024), growthMiB: Math.round((peak - before) / 1024 / 1024),
      mbPerSec: Math.round(jobs * fileBytes / seconds / 1e6),
    };
  } finally {
    await serve.stop();
    files.closeAllConnections();
    files.close();
    await rm(dir, { recursive: true, force: true });
  }
}
