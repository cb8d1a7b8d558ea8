import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ProgramSpec } from '../../job/types.js';
import { ownBlobMatcher } from '../../data/own-blob-url.js';
import { isRetryableCode } from '../../runtimes/node-worker/execute-program.js';
import { Ewma } from '../../scheduler/latency-tracker.js';
import { silentLogger, type Logger } from '../../logger.js';
import type { ExecOutcome, ExecRequest } from '../substrate.js';
import {
  CLOSE_CODES, LIMITS, parseNodeMessage, ProtocolViolation,
  type Assignment, type NodeCapabilities, type NodeKind, type NodeResult, type RegisterMessage,
} from './protocol.js';

/**
 * The pool of WebSocket nodes (browsers and Node.js volunteers) behind the
 * `browser` and `volunteer` substrates. Transport-agnostic: the WS route
 * hands it text frames through `receive` and tells it when a socket closed.
 *
 * A connection moves through:
 *   connected ──register──► registered ──bye / close / missed heartbeats / bad message──► gone
 * and must register within registerTimeoutMs. Nothing is ever sent to a node
 * before it registered, and a node is never sent more jobs than its free slots.
 *
 * Assignments: each job handed to a node gets an assignment id, kept in one
 * table until the node answers. No per-job timers: one sweeper tick times out
 * overdue assignments, drops silent nodes and unregistered connections. A
 * node that goes away fails its unfinished jobs at once (retryable
 * SUBSTRATE_FAILED), so the dispatcher reruns them elsewhere well before
 * their deadline. A timed-out assignment keeps its node's slot busy (the
 * node is still working on it) until the node answers, but that answer is
 * ignored; so is a result for an assignment the pool does not hold.
 */
export interface NodeTransport {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** absolute URL, valid until about `deadline`, under which this node can read blob `id` */
  blobUrl(id: string, deadline: number): string;
}

export interface NodePoolOptions {
  /** when set, nodes must present it in `register` */
  token?: string;
  heartbeatMs?: number;
  registerTimeoutMs?: number;
  /** announced to nodes; the WS layer enforces it */
  maxMessageBytes?: number;
  /** origins of this dispatcher, so absolute /v1/blobs URLs on them are re-signed for nodes */
  publicOrigins?: string[];
  /** called when slots free up or nodes join, so the dispatch loop looks at once */
  onCapacity?: () => void;
  logger?: Logger;
}

export const DEFAULT_HEARTBEAT_MS = 5000;
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const DEFAULT_REGISTER_TIMEOUT_MS = 10_000;
/** a node is dropped after missing this many heartbeats (plus half an interval of slack) */
const MISSED_HEARTBEATS = 2;
/** how far past its deadline an assignment may be answered before it times out here */
const DEADLINE_GRACE_MS = 250;
const EWMA_ALPHA = 0.2;

/** One job's outcome slot in an execute() call. */
interface PendingCall {
  outcomes: ExecOutcome[];
  left: number;
  resolve: (outcomes: ExecOutcome[]) => void;
}

interface Held {
  node: PoolNode;
  /** null once settled here (timed out) while the node still works on it */
  call: PendingCall | null;
  index: number;
  deadline: number;
  sentAt: number;
}

export interface PoolConnection {
  readonly transport: NodeTransport;
  readonly connectedAt: number;
  lastSeen: number;
  node: PoolNode | null;
  gone: boolean;
}

interface PoolNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly slots: number;
  readonly memoryMb: number;
  readonly capabilities: NodeCapabilities;
  readonly conn: PoolConnection;
  inFlight: number;
  /** position in its kind's node list (swap-remove) */
  index: number;
  readonly assignments: Set<string>;
  readonly latency: Ewma;
  /** bytes per exec millisecond */
  readonly throughput: Ewma;
  completed: number;
}

/** Per-kind totals, kept up to date so capabilities() is O(1). */
interface KindTotals {
  nodes: PoolNode[];
  cursor: number;
  slots: number;
  inFlight: number;
  latency: Ewma;
  maxMemoryMb: number | null;
}

export interface NodeView {
  node_id: string;
  kind: NodeKind;
  slots: number;
  in_flight: number;
  completed: number;
  latency_ms: number | null;
  throughput_bytes_per_ms: number | null;
  capabilities: NodeCapabilities;
}

export interface KindStats {
  nodes: number;
  slots: number;
  free: number;
  latencyMs: number | null;
  /** largest memory one job may use on a connected node; null with none connected */
  maxMemoryMb: number | null;
}

export class NodePool {
  readonly heartbeatMs: number;
  readonly maxMessageBytes: number;
  private readonly tokenDigest: Buffer | null;
  private readonly registerTimeoutMs: number;
  private readonly isOwnBlob: (url: string) => string | null;
  private readonly onCapacity: () => void;
  private readonly logger: Logger;
  private readonly connections = new Set<PoolConnection>();
  private readonly byId = new Map<string, PoolNode>();
  private readonly held = new Map<string, Held>();
  private readonly kinds: Record<NodeKind, KindTotals> = { browser: newTotals(), node: newTotals() };
  private readonly sweeper: NodeJS.Timeout;
  private readonly idPrefix = randomBytes(3).toString('hex');
  private nextAssignment = 1;
  private capacityWakePending = false;
  private closed = false;
  /** results for assignments no longer held (reassigned, timed out, unknown) */
  ignoredResults = 0;

  constructor(opts: NodePoolOptions = {}) {
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.registerTimeoutMs = opts.registerTimeoutMs ?? DEFAULT_REGISTER_TIMEOUT_MS;
    this.tokenDigest = opts.token === undefined ? null : digest(opts.token);
    this.isOwnBlob = ownBlobMatcher(opts.publicOrigins ?? []);
    this.onCapacity = opts.onCapacity ?? (() => {});
    this.logger = opts.logger ?? silentLogger;
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.max(10, Math.min(1000, this.heartbeatMs / 2)));
    this.sweeper.unref();
  }

  /** A socket opened; it must register before anything else. */
  connect(transport: NodeTransport): PoolConnection {
    const now = Date.now();
    const conn: PoolConnection = { transport, connectedAt: now, lastSeen: now, node: null, gone: false };
    if (this.closed) {
      transport.close(CLOSE_CODES.goingAway, 'the dispatcher is shutting down');
      conn.gone = true;
      return conn;
    }
    this.connections.add(conn);
    return conn;
  }

  /** One text frame from a node. Any protocol violation closes that connection with 4400 and the reason. */
  receive(conn: PoolConnection, text: string): void {
    if (conn.gone) return;
    conn.lastSeen = Date.now();
    try {
      const msg = parseNodeMessage(text);
      if (conn.node === null) {
        if (msg.type !== 'register') throw new ProtocolViolation('type', 'the first message must be register');
        this.register(conn, msg);
        return;
      }
      switch (msg.type) {
        case 'results': this.onResults(conn.node, msg.results); break;
        case 'heartbeat': break;
        case 'bye': this.disconnect(conn, CLOSE_CODES.normal, 'bye'); break;
        case 'register': throw new ProtocolViolation('type', 'already registered');
      }
    } catch (err) {
      if (!(err instanceof ProtocolViolation)) throw err;
      this.refuse(conn, 'INVALID_MESSAGE', err.message, CLOSE_CODES.invalidMessage);
    }
  }

  /** A frame the transport already knows to be wrong (binary): closes the connection with 4400. */
  refuseInvalid(conn: PoolConnection, message: string): void {
    if (!conn.gone) this.refuse(conn, 'INVALID_MESSAGE', message, CLOSE_CODES.invalidMessage);
  }

  /**
   * The connection is over (socket closed, or we close it): its node's
   * unfinished jobs fail over now. `code` set means we close the socket too.
   */
  disconnect(conn: PoolConnection, code?: number, reason = 'node disconnected'): void {
    if (conn.gone) return;
    conn.gone = true;
    this.connections.delete(conn);
    const node = conn.node;
    if (node !== null) this.removeNode(node, reason);
    if (code !== undefined) conn.transport.close(code, reason);
  }

  /** Runs a batch on nodes of one kind: one assign message per node, within each node's free slots. */
  execute(kind: NodeKind, batch: readonly ExecRequest[]): Promise<ExecOutcome[]> {
    if (batch.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const call: PendingCall = { outcomes: new Array<ExecOutcome>(batch.length), left: batch.length, resolve };
      const totals = this.kinds[kind];
      const now = Date.now();
      let next = 0;
      // Round robin from a moving cursor: fast nodes free their slots sooner and so take more work.
      for (let seen = 0; seen < totals.nodes.length && next < batch.length; seen++) {
        totals.cursor = (totals.cursor + 1) % totals.nodes.length;
        const node = totals.nodes[totals.cursor]!;
        const free = node.slots - node.inFlight;
        if (free <= 0) continue;
        const take = Math.min(free, batch.length - next);
        this.assign(node, batch, next, take, call, now);
        next += take;
      }
      for (; next < batch.length; next++) {
        this.settle(call, next, failed('SUBSTRATE_FAILED', `no ${kind} node has a free slot`, 0));
      }
    });
  }

  stats(kind: NodeKind): KindStats {
    const totals = this.kinds[kind];
    if (totals.maxMemoryMb === null && totals.nodes.length > 0) {
      totals.maxMemoryMb = totals.nodes.reduce((max, n) => Math.max(max, n.memoryMb), 0);
    }
    return {
      nodes: totals.nodes.length,
      slots: totals.slots,
      free: totals.slots - totals.inFlight,
      latencyMs: totals.latency.value,
      maxMemoryMb: totals.nodes.length > 0 ? totals.maxMemoryMb : null,
    };
  }

  views(kind?: NodeKind): NodeView[] {
    const nodes = kind === undefined ? [...this.kinds.browser.nodes, ...this.kinds.node.nodes] : this.kinds[kind].nodes;
    return nodes.map((n) => ({
      node_id: n.id, kind: n.kind, slots: n.slots, in_flight: n.inFlight, completed: n.completed,
      latency_ms: n.latency.value, throughput_bytes_per_ms: n.throughput.value, capabilities: n.capabilities,
    }));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Tells every node to stop, fails what they still hold, and refuses new connections. */
  close(reason = 'the dispatcher is shutting down'): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    for (const conn of [...this.connections]) {
      if (conn.node !== null) conn.transport.send('{"type":"drain"}');
      this.disconnect(conn, CLOSE_CODES.goingAway, reason);
    }
  }

  private register(conn: PoolConnection, msg: RegisterMessage): void {
    if (this.tokenDigest !== null) {
      const presented = msg.token === undefined ? null : digest(msg.token);
      if (presented === null || !timingSafeEqual(presented, this.tokenDigest)) {
        this.refuse(conn, 'UNAUTHORIZED', msg.token === undefined ? 'this dispatcher requires a node token' : 'invalid node token', CLOSE_CODES.unauthorized);
        return;
      }
    }
    const id = msg.node_id !== undefined && !this.byId.has(msg.node_id) ? msg.node_id : `${msg.kind}-${randomBytes(6).toString('hex')}`;
    const totals = this.kinds[msg.kind];
    const memoryMb = msg.capabilities.device_memory_gb !== undefined
      ? Math.floor(msg.capabilities.device_memory_gb * 1024 / msg.slots)
      : DEFAULT_NODE_MEMORY_MB;
    const node: PoolNode = {
      id, kind: msg.kind, slots: msg.slots, memoryMb, capabilities: msg.capabilities, conn,
      inFlight: 0, index: totals.nodes.length, assignments: new Set(),
      latency: new Ewma(EWMA_ALPHA), throughput: new Ewma(EWMA_ALPHA), completed: 0,
    };
    conn.node = node;
    this.byId.set(id, node);
    totals.nodes.push(node);
    totals.slots += node.slots;
    if (totals.maxMemoryMb !== null) totals.maxMemoryMb = Math.max(totals.maxMemoryMb, memoryMb);
    conn.transport.send(JSON.stringify({
      type: 'registered', node_id: id, heartbeat_ms: this.heartbeatMs,
      max_message_bytes: this.maxMessageBytes, max_batch: LIMITS.maxBatch,
    }));
    this.logger.info({ event: 'node_registered', node: id, kind: msg.kind, slots: msg.slots }, 'node registered');
    this.onCapacity();
  }

  private assign(node: PoolNode, batch: readonly ExecRequest[], start: number, count: number, call: PendingCall, now: number): void {
    const jobs = new Array<Assignment>(count);
    for (let k = 0; k < count; k++) {
      const req = batch[start + k]!;
      const assignmentId = `${this.idPrefix}${(this.nextAssignment++).toString(36)}`;
      this.held.set(assignmentId, { node, call, index: start + k, deadline: req.deadline, sentAt: now });
      node.assignments.add(assignmentId);
      jobs[k] = {
        assignment_id: assignmentId, job_id: req.job_id,
        program: this.forNode(req.program, node, req.deadline),
        timeout_ms: Math.max(1, Math.min(req.deadline - now, 2 ** 31 - 1)),
      };
    }
    node.inFlight += count;
    this.kinds[node.kind].inFlight += count;
    node.conn.transport.send(JSON.stringify({ type: 'assign', jobs }));
  }

  /** Nodes read blob windows over HTTP: blob ids and the dispatcher's own blob URLs become signed absolute URLs. */
  private forNode(program: ProgramSpec, node: PoolNode, deadline: number): ProgramSpec {
    const blobId = program.blob ?? (program.data_url === undefined ? null : this.isOwnBlob(program.data_url));
    if (blobId === null || blobId === undefined) return program;
    const { blob: _blob, ...rest } = program;
    return { ...rest, data_url: node.conn.transport.blobUrl(blobId, deadline) };
  }

  private onResults(node: PoolNode, results: NodeResult[]): void {
    const now = Date.now();
    let freed = 0;
    for (const r of results) {
      const held = this.held.get(r.assignment_id);
      if (held === undefined || held.node !== node) {
        this.ignoredResults++;
        continue;
      }
      this.release(r.assignment_id, held);
      freed++;
      if (held.call === null) {
        this.ignoredResults++;
        continue;
      }
      node.completed++;
      const roundTrip = now - held.sentAt;
      node.latency.add(roundTrip);
      this.kinds[node.kind].latency.add(roundTrip);
      if (r.ok) {
        if (r.exec_time_ms > 0) node.throughput.add(r.bytes_processed / r.exec_time_ms);
        this.settle(held.call, held.index, { ok: true, result: r.result, bytes_processed: r.bytes_processed, exec_time_ms: r.exec_time_ms, node: node.id });
      } else {
        // A node may not make a job fail for good by calling a retryable failure permanent, nor the reverse.
        this.settle(held.call, held.index, { ok: false, error: r.error, retryable: isRetryableCode(r.error.code), exec_time_ms: r.exec_time_ms, node: node.id });
      }
    }
    if (freed > 0) this.capacityFreed();
  }

  /**
   * Wakes the dispatch loop once per turn of the event loop, not per results
   * message: with thousands of nodes answering, the loop then takes one
   * large batch for all the slots freed meanwhile instead of many tiny ones.
   */
  private capacityFreed(): void {
    if (this.capacityWakePending) return;
    this.capacityWakePending = true;
    setImmediate(() => {
      this.capacityWakePending = false;
      this.onCapacity();
    });
  }

  private release(assignmentId: string, held: Held): void {
    this.held.delete(assignmentId);
    held.node.assignments.delete(assignmentId);
    held.node.inFlight--;
    this.kinds[held.node.kind].inFlight--;
  }

  private settle(call: PendingCall, index: number, outcome: ExecOutcome): void {
    call.outcomes[index] = outcome;
    if (--call.left === 0) call.resolve(call.outcomes);
  }

  private removeNode(node: PoolNode, reason: string): void {
    const totals = this.kinds[node.kind];
    const last = totals.nodes.pop()!;
    if (last !== node) {
      totals.nodes[node.index] = last;
      last.index = node.index;
    }
    totals.slots -= node.slots;
    if (node.memoryMb === totals.maxMemoryMb) totals.maxMemoryMb = null;
    this.byId.delete(node.id);
    const now = Date.now();
    for (const assignmentId of node.assignments) {
      const held = this.held.get(assignmentId)!;
      this.release(assignmentId, held);
      if (held.call !== null) {
        this.settle(held.call, held.index, failed('SUBSTRATE_FAILED', `node ${node.id} went away (${reason})`, now - held.sentAt, node.id));
      }
    }
    this.logger.info({ event: 'node_left', node: node.id, reason }, 'node left');
  }

  private refuse(conn: PoolConnection, code: string, message: string, closeCode: number): void {
    this.logger.warn({ event: 'node_refused', code, reason: message }, 'node connection refused');
    conn.transport.send(JSON.stringify({ type: 'error', code, message }));
    // WebSocket close reasons are limited to 123 bytes.
    this.disconnect(conn, closeCode, truncate(`${code}: ${message}`, 120));
  }

  private sweep(now: number): void {
    const silentAfter = this.heartbeatMs * MISSED_HEARTBEATS + this.heartbeatMs / 2;
    for (const conn of this.connections) {
      if (conn.node === null) {
        if (now - conn.connectedAt > this.registerTimeoutMs) this.disconnect(conn, CLOSE_CODES.registerTimeout, 'no register message in time');
      } else if (now - conn.lastSeen > silentAfter) {
        this.disconnect(conn, CLOSE_CODES.heartbeatMissed, `no heartbeat for ${now - conn.lastSeen} ms`);
      }
    }
    for (const held of this.held.values()) {
      if (held.call === null || now <= held.deadline + DEADLINE_GRACE_MS) continue;
      const call = held.call;
      held.call = null;
      this.settle(call, held.index, failed('TIMEOUT', `node ${held.node.id} did not answer before the job's deadline`, now - held.sentAt, held.node.id));
    }
  }
}

/** Assumed memory per slot of a node that does not say (browsers without navigator.deviceMemory). */
const DEFAULT_NODE_MEMORY_MB = 512;

function newTotals(): KindTotals {
  return { nodes: [], cursor: 0, slots: 0, inFlight: 0, latency: new Ewma(EWMA_ALPHA), maxMemoryMb: null };
}

function failed(code: string, message: string, execTimeMs: number, node?: string): ExecOutcome {
  const outcome: ExecOutcome = { ok: false, error: { code, message }, retryable: true, exec_time_ms: execTimeMs };
  if (node !== undefined) outcome.node = node;
  return outcome;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function truncate(text: string, max: number): string {
  return Buffer.byteLength(text) <= max ? text : Buffer.from(text).subarray(0, max).toString('utf8').replace(/\uFFFD$/, '');
}
