import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';

/**
 * The peer the blob bench compares against, in its own process: the plainest
 * Node file server — PUT pipes the body into a new file and fsyncs it, GET
 * answers a single Range of the latest upload with fs.createReadStream. No
 * hashing, no routing, no checks. Every upload is kept, as a blob store keeps
 * its blobs: overwriting one file would let each upload reuse the page-cache
 * pages the last one freed, which on this VM are far cheaper than new ones
 * (BENCHMARKS.md, "Blob PUT"). Prints its port on stdout.
 */
const dir = process.argv[2]!;
let uploads = 0;
let file = join(dir, 'peer-0.bin');

const server = createServer((req, res) => {
  if (req.method === 'PUT') {
    const path = join(dir, `peer-${++uploads}.bin`);
    const out = createWriteStream(path);
    req.pipe(out);
    out.on('finish', () => {
      void (async () => {
        const handle = await open(path, 'r+');
        await handle.sync();
        await handle.close();
        file = path;
        res.writeHead(201).end('{}');
      })();
    });
    return;
  }
  void (async () => {
    const { size } = await stat(file);
    const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match ? Math.min(size - 1, Number(match[2])) : size - 1;
    res.writeHead(match ? 206 : 200, { 'content-length': String(end - start + 1), ...(match ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}) });
    createReadStream(file, { start, end }).pipe(res);
  })();
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
