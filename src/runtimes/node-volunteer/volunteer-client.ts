import os from 'node:os';
import WebSocket from 'ws';
import { PacketFSError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { version } from '../../version.js';
import { Backoff } from '../../util/backoff.js';
import type { WindowContext } from '../../data/window.js';
import { executeProgram } from '../node-worker/execute-program.js';
import type { ExecOutcome } from '../../substrates/substrate.js';
import {
  CLOSE_CODES, NODE_MAX_INBOUND_BYTES, NODE_WS_PATH, PRE_REGISTER_MAX_BYTES, PROTOCOL_VERSION, ProtocolViolation, encodeMessage, parseDispatcherMessage,
  type Assignment, type DispatcherMessage, type NodeMessage, type NodeResult, type RegisterMessage,
} from '../../node-protocol/index.js';
import { createVolunteerWindowContext } from './volunteer-window-context.js';

export interface VolunteerOptions {
  /** ws://host:port (or http://, or a full URL ending in /v1/nodes/ws) */
  coordinator: string;
  token?: string;
  /** jobs run at once; default one per core */
  slots?: number;
  /** let data_url reach private addresses besides the coordinator's blobs */
  allowPrivate?: boolean;
  logger: Logger;
  /** first reconnect delay; doubles per failed attempt up to maxBackoffMs, with full jitter */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export interface Volunteer {
  /** resolves when the volunteer stopped for good: after stop(), or rejects when the coordinator refuses it */
  readonly done: Promise<void>;
  /** finishes running jobs (up to graceMs), sends their results and bye, and stops reconnecting */
  stop(graceMs?: number): Promise<void>;
  /**
   * stop() for a machine about to go away (a spot interruption): from now on
   * every new assignment is handed back at once (a retryable failure, so the
   * dispatcher runs it elsewhere without waiting); running jobs get graceMs
   * to finish; what is still running then is handed back by leaving.
   */
  drain(graceMs: number): Promise<void>;
}

/** Close codes after which reconnecting cannot help. */
const FATAL_CLOSE = new Set<number>([CLOSE_CODES.unauthorized, CLOSE_CODES.invalidMessage]);

/**
 * The Node.js volunteer (`packetfs worker --coordinator …`): one WebSocket to
 * the dispatcher, speaking node protocol v1 as kind "node". Jobs run in this
 * process through executeProgram, the same code path as the local
 * substrate's worker threads. Results are batched: all answers ready in one
 * turn of the event loop go out as one `results` message.
 *
 * States: connecting ──open──► registering ──registered──► serving
 *           ▲                                                │ close/error
 *           └────────── backoff (exponential, full jitter) ◄─┘
 * A refusal (4001 unauthorized, 4400 invalid message) ends it: retrying
 * would be refused again. stop() ends it on purpose.
 */
export function startVolunteer(opts: VolunteerOptions): Volunteer {
  const url = nodeSocketUrl(opts.coordinator);
  const ctx: WindowContext = createVolunteerWindowContext({
    coordinatorOrigin: new URL(url.replace(/^ws/, 'http')).origin,
    ...(opts.allowPrivate === undefined ? {} : { allowPrivate: opts.allowPrivate }),
  });
  const slots = opts.slots ?? os.availableParallelism();
  const minBackoff = opts.minBackoffMs ?? 250;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const log = opts.logger;

  let socket: WebSocket | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let reconnectTimer: NodeJS.Timeout | null = null;
  const reconnectBackoff = new Backoff({ baseMs: minBackoff, maxMs: maxBackoff, jitter: 'full' });
  let stopping = false;
  let draining = false;
  let outbox: NodeResult[] = [];
  let flushQueued = false;
  const running = new Set<Promise<void>>();
  let finish!: () => void;
  let fail!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => { finish = resolve; fail = reject; });

  const register: RegisterMessage = {
    type: 'register', protocol: PROTOCOL_VERSION, kind: 'node', slots,
    capabilities: {
      cores: os.availableParallelism(),
      device_memory_gb: Math.round(os.totalmem() / 2 ** 30 * 10) / 10,
      wasm: true, shared_array_buffer: true, webgl2: false, webgpu: false,
      user_agent: `packetfs-worker/${version} node/${process.versions.node}`,
    },
    ...(opts.token === undefined ? {} : { token: opts.token }),
  };

  const send = (value: NodeMessage): void => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(encodeMessage(value));
  };

  const flush = (): void => {
    flushQueued = false;
    if (outbox.length === 0) return;
    const results = outbox;
    outbox = [];
    // Results of a connection that has since dropped are lost with it: the dispatcher already reran those jobs.
    send({ type: 'results', results });
  };

  const answer = (job: Assignment, outcome: ExecOutcome): void => {
    outbox.push(outcome.ok
      ? { assignment_id: job.assignment_id, ok: true, result: outcome.result, bytes_processed: outcome.bytes_processed, exec_time_ms: outcome.exec_time_ms }
      : { assignment_id: job.assignment_id, ok: false, error: outcome.error, retryable: outcome.retryable, exec_time_ms: outcome.exec_time_ms });
    if (!flushQueued) {
      flushQueued = true;
      setImmediate(flush);
    }
  };

  const run = (job: Assignment): void => {
    const work = executeProgram({ program: job.program, deadline: Date.now() + job.timeout_ms }, ctx)
      .then((outcome) => answer(job, outcome));
    running.add(work);
    void work.finally(() => running.delete(work));
  };

  const connect = (): void => {
    reconnectTimer = null;
    const ws = new WebSocket(url, { maxPayload: NODE_MAX_INBOUND_BYTES, perMessageDeflate: false });
    socket = ws;
    let maxInbound = PRE_REGISTER_MAX_BYTES;
    ws.on('open', () => ws.send(encodeMessage(register)));
    ws.on('message', (data, isBinary) => {
      let msg: DispatcherMessage;
      try {
        msg = parseDispatcherMessage(isBinary ? data : data.toString(), maxInbound);
      } catch (err) {
        if (!(err instanceof ProtocolViolation)) throw err;
        // a frame we cannot trust is dropped whole; the dispatcher's timeouts cover any job in it
        log.warn({ event: 'bad_frame', error: err.message }, 'ignoring a bad frame from the dispatcher');
        return;
      }
      switch (msg.type) {
        case 'registered':
          maxInbound = NODE_MAX_INBOUND_BYTES;
          reconnectBackoff.reset();
          log.info({ event: 'registered', node: msg.node_id, slots }, `registered with ${url} as ${msg.node_id}`);
          if (heartbeat) clearInterval(heartbeat);
          heartbeat = setInterval(() => send({ type: 'heartbeat', free_slots: Math.max(0, slots - running.size) }), msg.heartbeat_ms);
          break;
        case 'assign':
          for (const job of msg.jobs) {
            if (draining) answer(job, { ok: false, retryable: true, exec_time_ms: 0, error: { code: 'SUBSTRATE_FAILED', message: 'this node is draining (its machine is being reclaimed)' } });
            else run(job);
          }
          break;
        case 'drain':
          log.info({ event: 'drain' }, 'the dispatcher asked to drain');
          break;
        case 'error':
          log.warn({ event: 'refused', code: msg.code }, msg.message);
          break;
      }
    });
    ws.on('error', (err) => log.warn({ event: 'socket_error', error: err.message }, 'coordinator connection failed'));
    ws.on('close', (code, reason) => {
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      if (socket === ws) socket = null;
      if (stopping) return;
      if (FATAL_CLOSE.has(code)) {
        fail(new PacketFSError(code === CLOSE_CODES.unauthorized ? 'UNAUTHORIZED' : 'INVALID_REQUEST',
          `the coordinator refused this worker (${code}): ${reason.toString() || 'no reason given'}`));
        return;
      }
      const delay = reconnectBackoff.next();
      log.info({ event: 'reconnecting', code, delay_ms: delay }, `disconnected (${code}); reconnecting in ${delay} ms`);
      reconnectTimer = setTimeout(connect, delay);
    });
  };

  const stop = async (graceMs = 10_000): Promise<void> => {
    if (stopping) return done;
    stopping = true;
    if (reconnectTimer) clearTimeout(reconnectTimer);
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled([...running]), grace]);
    flush();
    send({ type: 'bye' });
    const ws = socket;
    if (ws !== null && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(CLOSE_CODES.normal, 'bye');
        setTimeout(() => { ws.terminate(); resolve(); }, 1000).unref();
      });
    }
    if (heartbeat) clearInterval(heartbeat);
    finish();
    return done;
  };

  const drain = (graceMs: number): Promise<void> => {
    draining = true;
    return stop(graceMs);
  };

  connect();
  return { done, stop, drain };
}

/** ws://host:port → ws://host:port/v1/nodes/ws; http(s) becomes ws(s). */
export function nodeSocketUrl(coordinator: string): string {
  let parsed: URL;
  try {
    parsed = new URL(coordinator);
  } catch {
    throw new PacketFSError('INVALID_REQUEST', `--coordinator ${JSON.stringify(coordinator)} is not a URL such as ws://127.0.0.1:8080`, { path: 'coordinator' });
  }
  const schemes: Record<string, string> = { 'ws:': 'ws:', 'wss:': 'wss:', 'http:': 'ws:', 'https:': 'wss:' };
  const scheme = schemes[parsed.protocol];
  if (scheme === undefined) {
    throw new PacketFSError('INVALID_REQUEST', `--coordinator must be a ws://, wss://, http:// or https:// URL, got ${parsed.protocol}`, { path: 'coordinator' });
  }
  parsed.protocol = scheme;
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = NODE_WS_PATH;
  return parsed.href;
}
