import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../../src/dispatcher/dispatcher.js';
import type { DispatcherOptions } from '../../src/dispatcher/options.js';
import { silentLogger } from '../../src/logger.js';
import { startServer, type ServerOptions } from '../../src/server/server.js';

/**
 * A real dispatcher (memory store, temp data dir, one local thread unless the
 * test asks for more: each thread costs its start-up CPU in every one of the
 * suite's few hundred dispatchers) behind a real server on 127.0.0.1:0.
 * The memory store is asked for by name: a data dir alone makes Dispatcher.create
 * open SQLite, whose writer and checkpoint threads cost about as much CPU again
 * as the rest of a short test. Tests about the SQLite store, or about the
 * default served stack, pass `storeKind: 'sqlite'`; the store itself is proven
 * by the conformance suite and test/store/sqlite-serve.test.ts.
 */
export interface Served {
  url: string;
  dispatcher: Dispatcher;
  dataDir: string;
  close(): Promise<void>;
}

export async function serveDispatcher(opts: { server?: ServerOptions; dispatcher?: DispatcherOptions } = {}): Promise<Served> {
  const dataDir = await mkdtemp(join(tmpdir(), 'packetfs-server-test-'));
  const dispatcher = await Dispatcher.create({ dataDir, threads: 1, storeKind: 'memory', logger: silentLogger, ...opts.dispatcher });
  const server = await startServer(dispatcher, { host: '127.0.0.1', port: 0, ...opts.server });
  return {
    url: server.url,
    dispatcher,
    dataDir,
    async close() {
      await server.close();
      await dispatcher.close();
      // retried: a file the closed store's threads removed or renamed just now can make one pass see a non-empty folder (ENOTEMPTY)
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  /** parsed JSON when the reply is JSON, else the text */
  body: any;
}

/** fetch + read the body; a plain-object `json` is sent as application/json. */
export async function call(url: string, init: RequestInit & { json?: unknown } = {}): Promise<Reply> {
  const { json, ...rest } = init;
  const request: RequestInit = json === undefined ? rest
    : { method: 'POST', ...rest, body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...rest.headers as Record<string, string> } };
  const response = await fetch(url, request);
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('application/json');
  return { status: response.status, headers: response.headers, body: isJson && text !== '' ? JSON.parse(text) : text };
}

export const NINE_DIGITS_B64 = Buffer.from('123456789').toString('base64');
export const NINE_DIGITS_CRC32C = 3808858755;
