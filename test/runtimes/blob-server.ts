import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback file server with Range support (206, 416, or 200 without
 * Range), so runtimes read data_url windows the way they would from S3 or
 * any CDN. Counts requests so tests can tell a window was fetched remotely.
 */
export interface BlobServer {
  /** URL of the served bytes, e.g. http://127.0.0.1:PORT/blob.bin */
  url: string;
  requests(): number;
  close(): Promise<void>;
}

export async function startBlobServer(bytes: Uint8Array): Promise<BlobServer> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (match === null) {
      res.writeHead(200, { 'content-length': String(bytes.length), 'accept-ranges': 'bytes' });
      res.end(bytes);
      return;
    }
    const start = Number(match[1]);
    if (start >= bytes.length) {
      res.writeHead(416, { 'content-range': `bytes */${bytes.length}` });
      res.end();
      return;
    }
    const end = Math.min(match[2] === '' ? bytes.length - 1 : Number(match[2]), bytes.length - 1);
    res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${bytes.length}`, 'content-length': String(end - start + 1) });
    res.end(bytes.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/blob.bin`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
