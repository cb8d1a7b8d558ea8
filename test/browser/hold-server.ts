import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A data_url server on 127.0.0.1 that answers Range requests over `body`,
 * but holds every request until release() — so jobs reading from it stay in
 * flight on whoever fetches, for as long as a test needs. CORS-open, because
 * the volunteer page fetching it lives on the dispatcher's origin.
 */
export interface HoldServer {
  url: string;
  /** requests received so far (held or answered) */
  readonly requests: number;
  release(): void;
  close(): Promise<void>;
}

export async function startHoldServer(body: Uint8Array): Promise<HoldServer> {
  let held: (() => void)[] | null = [];
  let requests = 0;
  const server = createServer((req, res) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', 'range');
    // fetch hides every non-safelisted response header cross-origin; a Range reader needs these
    res.setHeader('access-control-expose-headers', 'content-range, content-length');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    requests++;
    const answer = (): void => sendRange(res, body, req.headers.range);
    if (held === null) answer();
    else held.push(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/data.bin`,
    get requests() { return requests; },
    release() {
      const waiting = held ?? [];
      held = null;
      for (const answer of waiting) answer();
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** bytes=a-b only (all the runtimes send); anything else gets the whole body. */
function sendRange(res: ServerResponse, body: Uint8Array, range: string | undefined): void {
  if (res.destroyed) return;
  const m = /^bytes=(\d+)-(\d+)$/.exec(range ?? '');
  if (m === null) {
    res.writeHead(200, { 'content-length': body.length }).end(body);
    return;
  }
  const start = Number(m[1]);
  const end = Math.min(Number(m[2]), body.length - 1);
  res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${body.length}`, 'content-length': end - start + 1 })
    .end(body.subarray(start, end + 1));
}
