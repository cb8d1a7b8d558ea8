import { PacketFSError } from '../errors.js';
import type { DashboardFrame } from './snapshot.js';
import { SseParser } from './sse-parser.js';

export interface FrameStreamOptions {
  /** dispatcher origin, e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  /** sent as `Authorization: Bearer …`, never in the URL */
  token?: string;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/**
 * Reads GET /v1/dashboard/stream with fetch() — in the page and in
 * `packetfs top` alike — so the token travels in a header (EventSource
 * cannot set one). Calls onFrame per frame until the stream ends (resolves)
 * or fails: UNAUTHORIZED for a missing or wrong token, the server's own
 * error code otherwise, UNREACHABLE when it cannot be reached.
 */
export async function readFrames(opts: FrameStreamOptions, onFrame: (frame: DashboardFrame) => void): Promise<void> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (opts.token !== undefined && opts.token !== '') headers.authorization = `Bearer ${opts.token}`;
  let response: Response;
  try {
    response = await (opts.fetch ?? fetch)(`${opts.baseUrl.replace(/\/+$/, '')}/v1/dashboard/stream`, {
      headers, cache: 'no-store', ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    });
  } catch (err) {
    if (opts.signal?.aborted) return;
    throw new PacketFSError('UNREACHABLE', `cannot reach ${opts.baseUrl}: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok || response.body === null) throw await replyError(response);
  const parser = new SseParser((data) => onFrame(JSON.parse(data) as DashboardFrame));
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.push(decoder.decode(value, { stream: true }));
    }
  } catch (err) {
    if (opts.signal?.aborted) return;
    throw err;
  } finally {
    reader.releaseLock();
  }
}

async function replyError(response: Response): Promise<PacketFSError> {
  let code = response.status === 401 ? 'UNAUTHORIZED' : 'INTERNAL';
  let message = `the dashboard stream answered ${response.status}`;
  try {
    const body = await response.json() as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // not our JSON error shape: keep the status line
  }
  return new PacketFSError(code as PacketFSError['code'], message, { status: response.status });
}
