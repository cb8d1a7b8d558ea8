import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Loopback HTTP servers with the behaviours a data_url reader must cope with.
 * One server, routed by path, so a test file opens a single port and closes it.
 */
export interface DataServer {
  /** e.g. http://127.0.0.1:PORT */
  origin: string;
  port: number;
  /** requests seen, by path */
  hits: string[];
  /** resolves when /slow or /hang has received a request */
  stalled(): Promise<void>;
  close(): Promise<void>;
}

/** 1000 bytes that differ from their neighbours, so a wrong slice shows. */
export const DATA = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7 + 3) % 251);

export async function startDataServer(): Promise<DataServer> {
  const hits: string[] = [];
  let signalStalled: () => void = () => undefined;
  let stalledPromise = new Promise<void>((resolve) => { signalStalled = resolve; });

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.push(path);
    switch (path) {
      case '/range': return serveRange(req, res);
      case '/whole': return serveWhole(res, true);
      case '/whole-chunked': return serveWhole(res, false);
      case '/endless': return serveEndless(res);
      case '/short-206': return serveBadPartial(req, res, 'short');
      case '/long-206': return serveBadPartial(req, res, 'long');
      case '/shifted-206': return serveBadPartial(req, res, 'shifted');
      case '/slow':
        res.writeHead(200, { 'content-length': String(DATA.length) });
        res.write(DATA.subarray(0, 10));
        signalStalled();
        return undefined;
      case '/hang':
        signalStalled();
        return undefined;
      case '/redirect':
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        return res.end();
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    hits,
    stalled: async () => {
      await stalledPromise;
      stalledPromise = new Promise<void>((resolve) => { signalStalled = resolve; });
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function parseRange(req: IncomingMessage): { start: number; end: number | null } | null {
  const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (!match) return null;
  return { start: Number(match[1]), end: match[2] === '' ? null : Number(match[2]) };
}

/** A correct server: 206 for satisfiable ranges (clamped at the end, as RFC 9110 says), 416 otherwise. */
function serveRange(req: IncomingMessage, res: ServerResponse): void {
  const range = parseRange(req);
  if (range === null) {
    res.writeHead(200, { 'content-length': String(DATA.length) });
    res.end(DATA);
    return;
  }
  if (range.start >= DATA.length) {
    res.writeHead(416, { 'content-range': `bytes */${DATA.length}` });
    res.end();
    return;
  }
  const end = Math.min(range.end ?? DATA.length - 1, DATA.length - 1);
  res.writeHead(206, {
    'content-range': `bytes ${range.start}-${end}/${DATA.length}`,
    'content-length': String(end - range.start + 1),
  });
  res.end(DATA.subarray(range.start, end + 1));
}

/** Ignores Range; chunked=false sends no Content-Length and small chunks, to cross chunk boundaries. */
function serveWhole(res: ServerResponse, withLength: boolean): void {
  if (withLength) {
    res.writeHead(200, { 'content-length': String(DATA.length) });
    res.end(DATA);
    return;
  }
  res.writeHead(200);
  for (let at = 0; at < DATA.length; at += 7) res.write(DATA.subarray(at, at + 7));
  res.end();
}

/** 200 with a body that never ends: a reader that does not stop at offset+length never returns. */
function serveEndless(res: ServerResponse): void {
  res.writeHead(200);
  const chunk = Buffer.from(DATA);
  const pump = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  res.on('close', () => res.removeAllListeners('drain'));
  pump();
}

/** 206 replies that lie: a body shorter or longer than Content-Range, or a range from the wrong start. */
function serveBadPartial(req: IncomingMessage, res: ServerResponse, kind: 'short' | 'long' | 'shifted'): void {
  const range = parseRange(req) ?? { start: 0, end: DATA.length - 1 };
  const end = Math.min(range.end ?? DATA.length - 1, DATA.length - 1);
  const start = kind === 'shifted' ? 0 : range.start;
  res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${DATA.length}` });
  const body = DATA.subarray(start, end + 1);
  if (kind === 'short') res.end(body.subarray(0, body.length - 1));
  else if (kind === 'long') res.end(Buffer.concat([body, Buffer.from([1, 2, 3])]));
  else res.end(body);
}
