import { normalizeProgram } from '../../job/normalize-program.js';
import type { ExecOutcome } from '../../substrates/substrate.js';
import { failedOutcome } from '../node-worker/execute-program.js';
import type { BrowserCapabilities } from './capabilities.js';
import { Backoff, type BackoffPolicy } from '../../util/backoff.js';
import {
  CLOSE_CODES, NODE_MAX_INBOUND_BYTES, PRE_REGISTER_MAX_BYTES, PROTOCOL_VERSION, encodeMessage, parseDispatcherMessage,
  type Assignment, type DispatcherMessage, type NodeMessage, type NodeResult,
} from '../../node-protocol/index.js';
import type { OutcomesSink, PoolJob } from './worker-pool.js';

export interface NodeClientOptions {
  /** ws(s) URL of the dispatcher's node socket */
  url: string;
  slots: number;
  capabilities: BrowserCapabilities;
  token?: string | undefined;
  /** runs jobs, answering each as soon as it is done (WorkerPool.runEach) */
  runEach(jobs: PoolJob[], sink: OutcomesSink): void;
  /** every outcome reported to the dispatcher, for the page's counters */
  onOutcome(outcome: ExecOutcome): void;
  onStateChange?(state: NodeClientState): void;
}

/**
 * connecting → registered → (draining →) closed. A socket that drops while
 * registered reconnects with capped exponential backoff, keeping its node_id;
 * refusals (UNAUTHORIZED, INVALID_MESSAGE) and close() end in `closed`.
 */
export type NodeClientState = 'connecting' | 'registered' | 'draining' | 'closed';

/** 500 ms doubling to 30 s, jittered: a dispatcher restart drops every browser at once */
const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000, jitter: 'equal' };
/** Close codes by which the dispatcher says "do not come back as you are". */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([CLOSE_CODES.unauthorized, CLOSE_CODES.invalidMessage, CLOSE_CODES.tooBig]);

/** A browser's connection to a dispatcher as a node (protocol v1). */
export class NodeClient {
  state: NodeClientState = 'connecting';
  nodeId: string | undefined;
  /** ms spent registered, i.e. time donated */
  registeredMs = 0;
  private readonly opts: NodeClientOptions;
  private socket: WebSocket | null = null;
  /** largest dispatcher frame accepted now (the protocol's node-side limits) */
  private maxInbound = PRE_REGISTER_MAX_BYTES;
  private maxBatch = Number.MAX_SAFE_INTEGER;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private registeredAt = 0;
  private inFlight = 0;
  /** results reported this turn, sent together by the queued flush */
  private unsent: NodeResult[] = [];
  private flushQueued = false;
  private readonly reconnectBackoff = new Backoff(RECONNECT_BACKOFF);
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private firstRegistration: { resolve(id: string): void; reject(err: Error): void } | null = null;

  constructor(opts: NodeClientOptions) {
    this.opts = opts;
  }

  /** Opens the socket and registers; resolves with the node id, rejects if the first registration fails. */
  start(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.firstRegistration = { resolve, reject };
      this.open();
    });
  }

  /** Says bye and closes; jobs still running are not reported (the dispatcher fails them over). */
  close(): void {
    clearTimeout(this.reconnectTimer);
    this.send({ type: 'bye' });
    this.setState('closed');
    this.socket?.close(1000, 'bye');
    this.teardown();
  }

  /** Time donated so far, including the current session. */
  donatedMs(): number {
    return this.registeredMs + (this.registeredAt > 0 ? Date.now() - this.registeredAt : 0);
  }

  private open(): void {
    this.setState('connecting');
    this.maxInbound = PRE_REGISTER_MAX_BYTES;
    const socket = new WebSocket(this.opts.url);
    this.socket = socket;
    socket.onopen = () => {
      const register: NodeMessage = {
        type: 'register', protocol: PROTOCOL_VERSION, kind: 'browser', slots: this.opts.slots, capabilities: this.opts.capabilities,
      };
      if (this.opts.token !== undefined) register.token = this.opts.token;
      if (this.nodeId !== undefined) register.node_id = this.nodeId;
      this.send(register);
    };
    socket.onmessage = (event) => this.onFrame(event.data);
    socket.onclose = (event) => this.onClose(socket, event.code, event.reason);
  }

  private onFrame(data: unknown): void {
    let msg: DispatcherMessage;
    try {
      msg = parseDispatcherMessage(data, this.maxInbound);
    } catch (err) {
      // a frame we cannot trust is dropped whole; the dispatcher's timeouts cover any job in it
      console.warn(`packetfs: ignoring a bad frame from the dispatcher: ${(err as Error).message}`);
      return;
    }
    switch (msg.type) {
      case 'registered': this.onRegistered(msg.node_id, msg.heartbeat_ms, msg.max_batch); break;
      case 'assign': this.onAssign(msg.jobs); break;
      case 'drain': this.onDrain(); break;
      case 'error': this.failFirstRegistration(new Error(`the dispatcher refused this node: ${msg.code}: ${msg.message}`)); break;
    }
  }

  private onRegistered(nodeId: string, heartbeatMs: number, maxBatch: number): void {
    this.nodeId = nodeId;
    this.maxInbound = NODE_MAX_INBOUND_BYTES;
    this.maxBatch = maxBatch;
    this.reconnectBackoff.reset();
    this.registeredAt = Date.now();
    this.setState('registered');
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.send({ type: 'heartbeat', free_slots: this.freeSlots() }), heartbeatMs);
    this.firstRegistration?.resolve(nodeId);
    this.firstRegistration = null;
  }

  private onAssign(assignments: Assignment[]): void {
    if (this.state !== 'registered') return;
    const runnable: { a: Assignment; job: PoolJob }[] = [];
    const refused: NodeResult[] = [];
    const now = Date.now();
    for (const a of assignments) {
      try {
        runnable.push({ a, job: { program: normalizeProgram(a.program, `jobs[${a.job_id}].program`), deadline: now + a.timeout_ms } });
      } catch (err) {
        const outcome = failedOutcome(err, 0);
        this.opts.onOutcome(outcome);
        refused.push(toNodeResult(a.assignment_id, outcome));
      }
    }
    this.sendResults(refused);
    if (runnable.length === 0) return;
    const socket = this.socket;
    this.inFlight += runnable.length;
    try {
      this.opts.runEach(runnable.map((r) => r.job), (indices, outcomes) => this.report(socket, indices.map((i) => runnable[i]!.a), outcomes));
    } catch (err) {
      this.report(socket, runnable.map((r) => r.a), runnable.map(() => failedOutcome(err, 0)));
    }
  }

  /**
   * Outcomes of a socket that has since closed are dropped: the dispatcher
   * already failed those jobs over. Results finished in the same turn go out
   * as one `results` frame (workers answer job by job).
   */
  private report(socket: WebSocket | null, assignments: Assignment[], outcomes: ExecOutcome[]): void {
    if (socket !== this.socket || socket?.readyState !== WebSocket.OPEN) return;
    this.inFlight -= assignments.length;
    for (let i = 0; i < assignments.length; i++) {
      this.opts.onOutcome(outcomes[i]!);
      this.unsent.push(toNodeResult(assignments[i]!.assignment_id, outcomes[i]!));
    }
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const results = this.unsent;
      this.unsent = [];
      if (socket === this.socket) this.sendResults(results);
      if (this.state === 'draining' && this.inFlight === 0) this.close();
    });
  }

  /** No new work will come: finish what is running, then leave. */
  private onDrain(): void {
    this.setState('draining');
    if (this.inFlight === 0) this.close();
  }

  private onClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.teardown();
    if (this.state === 'closed') return;
    const final = FINAL_CLOSE_CODES.has(code);
    if (this.firstRegistration !== null || final) {
      this.failFirstRegistration(new Error(`the dispatcher closed the node socket (${code}${reason ? `: ${reason}` : ''})`));
      this.setState('closed');
      return;
    }
    this.setState('connecting');
    this.reconnectTimer = setTimeout(() => this.open(), this.reconnectBackoff.next());
  }

  private failFirstRegistration(err: Error): void {
    this.firstRegistration?.reject(err);
    this.firstRegistration = null;
  }

  private teardown(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (this.registeredAt > 0) this.registeredMs += Date.now() - this.registeredAt;
    this.registeredAt = 0;
    // jobs still running belong to a socket that is gone: the dispatcher has failed them over
    this.inFlight = 0;
    this.unsent = [];
  }

  private freeSlots(): number {
    return Math.max(0, this.opts.slots - this.inFlight);
  }

  /** Results go in frames of at most max_batch, the dispatcher's announced limit. */
  private sendResults(results: NodeResult[]): void {
    for (let i = 0; i < results.length; i += this.maxBatch) this.send({ type: 'results', results: results.slice(i, i + this.maxBatch) });
  }

  private send(msg: NodeMessage): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(encodeMessage(msg));
  }

  private setState(state: NodeClientState): void {
    if (this.state === state) return;
    this.state = state;
    this.opts.onStateChange?.(state);
  }
}

function toNodeResult(assignmentId: string, outcome: ExecOutcome): NodeResult {
  if (outcome.ok) {
    return { assignment_id: assignmentId, ok: true, result: outcome.result, bytes_processed: outcome.bytes_processed, exec_time_ms: outcome.exec_time_ms };
  }
  return { assignment_id: assignmentId, ok: false, error: outcome.error, retryable: outcome.retryable, exec_time_ms: outcome.exec_time_ms };
}
