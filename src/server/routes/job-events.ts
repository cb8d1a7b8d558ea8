import type { FastifyInstance } from 'fastify';
import { PacketFSError } from '../../errors.js';
import type { JobStatusView } from '../../dispatcher/api.js';
import type { ServedDispatcher } from '../served-dispatcher.js';

interface IdParams { id: string }

/** How often the stream looks at the job; a finished result is sent the moment it is stored. */
const POLL_MS = 250;
/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/**
 * GET /v1/jobs/:id/events — Server-Sent Events. `event: progress` carries
 * `{job_id, status, progress?}` whenever the status or a split job's
 * progress changes (the first one at once); `event: result` carries the
 * result record, after which the stream ends. Works for every job; only
 * split jobs have `progress`. A client that reconnects simply gets the
 * current state again.
 */
export function registerJobEventRoutes(scope: FastifyInstance, dispatcher: ServedDispatcher, closing: Promise<void>): void {
  scope.get<{ Params: IdParams }>('/v1/jobs/:id/events', async (request, reply) => {
    const jobId = request.params.id;
    let view = await dispatcher.getJob(jobId);
    if (view === null) throw new PacketFSError('NOT_FOUND', `no job ${JSON.stringify(jobId)}`);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    let gone = false;
    raw.on('close', () => { gone = true; });
    let isClosing = false;
    void closing.then(() => { isClosing = true; });
    let last = '';
    let lastWrite = Date.now();
    const send = (event: string, data: unknown): void => {
      raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      lastWrite = Date.now();
    };
    try {
      while (!gone && !isClosing && view !== null) {
        const state = progressEvent(view);
        const text = JSON.stringify(state);
        if (text !== last) {
          send('progress', state);
          last = text;
        }
        if (view.result !== null) {
          send('result', view.result);
          break;
        }
        if (Date.now() - lastWrite >= KEEPALIVE_MS) {
          raw.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
        await dispatcher.getResult(jobId, { wait: POLL_MS / 1000 });
        view = await dispatcher.getJob(jobId);
      }
    } catch (err) {
      if (!gone) send('error', { error: err instanceof PacketFSError ? err.toJSON() : { code: 'INTERNAL', message: 'the event stream failed' } });
      request.log.warn({ err }, 'job event stream failed');
    } finally {
      raw.end();
    }
  });
}

function progressEvent(view: JobStatusView): { job_id: string; status: string; progress?: JobStatusView['progress'] } {
  return view.progress === undefined
    ? { job_id: view.job_id, status: view.status }
    : { job_id: view.job_id, status: view.status, progress: view.progress };
}
