import type { ErrorCode } from '../../errors.js';
import { randomBytes } from 'node:crypto';
import type { ProgramSpec } from '../../job/types.js';
import { jobWindowBytes } from '../../job/window-length.js';
import { ownBlobMatcher } from '../../data/own-blob-url.js';
import { Ewma } from '../../scheduler/latency-tracker.js';
import { NodeReputation, type ReputationPolicy, type ReputationView } from '../../trust/reputation.js';
import { networkOf } from '../../trust/network.js';
import { silentLogger, type Logger } from '../../logger.js';
import type { ExecOutcome, ExecRequest } from '../substrate.js';
import { collectOutcomes } from '../collect-outcomes.js';
import {
  CLOSE_CODES, LIMITS, encodeMessage, parseNodeMessage, ProtocolViolation,
  type Assignment, type NodeCapabilities, type NodeKind, type NodeResult, type RegisterMessage,
} from '../../node-protocol/index.js';

/**
 * The pool of WebSocket nodes (browsers and Node.js volunteers) behind the
 * `browser` and `volunteer` substrates. Transport-agnostic: the WS route
 * hands it text frames through `receive` and tells it when a socket closed.
 *
 * A connection moves through:
 *   connected ──register (admitted)──► registered ──bye / close / missed heartbeats / bad message / ban──► gone
 *   connected ──register (refused: no or bad credential, banned id)──► gone (4001)
 * and must register within registerTimeoutMs. Nothing is ever sent to a node
 * before it registered, and a node is never sent more jobs than its grant.
 *
 * Grants (slow start): a node announces `slots`, but is granted only
 * `initialGrant` at first; each result that comes back in time grows the
 * grant by one (so it doubles per round trip, like TCP slow start) up to the
 * announced slots. An assignment held much longer than the node's own
 * measured latency is settled here as a retryable failure (the dispatcher
 * re-runs it elsewhere: speculative execution) while its slot stays busy;
 * each such overrun halves the grant, and a node that sits on an overdue
 * assignment for hoardTimeoutMs is dropped. A node announcing 1024 slots that
 * never answers thus holds two jobs for a few seconds, not 1024 for 300 s.
 *
 * Assignments: each job handed to a node gets an assignment id, kept in one
 * table until the node answers. No per-job timers: one sweeper tick times out
 * overdue assignments, drops silent nodes and unregistered connections. A
 * node that goes away fails its unfinished jobs at once (retryable
 * SUBSTRATE_FAILED). A result for an assignment the pool does not hold, or
 * holds for another node, is ignored: a node can only answer for itself.
 */
export interface NodeTransport {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** absolute URL, valid until about `deadline`, under which this node can read blob `id` */
  blobUrl(id: string, deadline: number): string;
  /** the peer's IP address (for the nodes list and distinct-network quorums) */
  readonly remoteAddress?: string;
}

/** Who a node is, once admitted (src/trust/admission.ts decides). */
export interface NodeCredential {
  /** open: anonymous (open volunteers or the loopback development default); shared: the node token; join: a join token */
  type: 'open' | 'shared' | 'join';
  /** join token id */
  id?: string;
  label?: string;
}

export type AdmissionDecision =
  | { admitted: true; credential: NodeCredential }
  | { admitted: false; reason: string };

export type AdmitFn = (register: RegisterMessage, remoteAddress: string) => AdmissionDecision;

export interface NodePoolOptions {
  /** decides who may register; default: everyone (anonymous) */
  admit?: AdmitFn;
  heartbeatMs?: number;
  registerTimeoutMs?: number;
  /** announced to nodes; the WS layer enforces it */
  maxMessageBytes?: number;
  /** origins of this dispatcher, so absolute /v1/blobs URLs on them are re-signed for nodes */
  publicOrigins?: string[];
  /** called when slots free up or nodes join, so the dispatch loop looks at once */
  onCapacity?: () => void;
  /** called when a registered node is gone (its unfinished jobs already failed over) */
  onNodeLeft?: (node: PoolNode) => void;
  /** slots granted to a new node before it has shown it answers; default 2 */
  initialGrant?: number;
  /** an assignment is re-run elsewhere once older than max(this, speculativeFactor × the node's latency); default 2000 */
  speculativeMinMs?: number;
  speculativeFactor?: number;
  /** a node holding an overdue assignment this long is dropped; default 30 000 */
  hoardTimeoutMs?: number;
  reputation?: ReputationPolicy;
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

/**
 * Called once per assigned job: with the node's own answer (`answered`
 * true), or with a failure the pool settled for it (node gone, deadline,
 * speculative re-run, no free slot; `answered` false).
 */
export type SettleFn = (outcome: ExecOutcome, node: PoolNode | null, answered: boolean) => void;

interface Held {
  node: PoolNode;
  /** null once settled here (timed out, re-run elsewhere) while the node still works on it */
  onSettle: SettleFn | null;
  deadline: number;
  sentAt: number;
  /** the age past which the job is re-run elsewhere */
  overdueAt: number;
}

export interface PoolConnection {
  readonly transport: NodeTransport;
  readonly connectedAt: number;
  lastSeen: number;
  node: PoolNode | null;
  gone: boolean;
}

export interface PoolNode {
  readonly id: string;
  readonly kind: NodeKind;
  /** slots the node announced */
  readonly slots: number;
  /** slots it may hold now (slow start) */
  grant: number;
  readonly memoryMb: number;
  readonly capabilities: NodeCapabilities;
  readonly conn: PoolConnection;
  readonly address: string;
  readonly network: string;
  readonly credential: NodeCredential;
  readonly reputation: NodeReputation;
  readonly connectedAt: number;
  inFlight: number;
  /** position in its kind's node list (swap-remove) */
  index: number;
  readonly assignments: Set<string>;
  readonly latency: Ewma;
  /** bytes per exec millisecond */
  readonly throughput: Ewma;
  completed: number;
  /** results delivered, for the nodes list's throughput */
  bytesDone: number;
}

/** Per-kind totals, kept up to date so capabilities() is O(1). */
interface KindTotals {
  nodes: PoolNode[];
  cursor: number;
  /** sum of grants */
  slots: number;
  /** sum of announced slots */
  announced: number;
  inFlight: number;
  latency: Ewma;
  maxMemoryMb: number | null;
}

export interface NodeView {
  node_id: string;
  kind: NodeKind;
  address: string;
  label: string | null;
  credential: NodeCredential['type'];
  slots: number;
  slots_granted: number;
  in_flight: number;
  completed: number;
  latency_ms: number | null;
  throughput_bytes_per_ms: number | null;
  connected_at: string;
  state: ReputationView['state'];
  reputation: number;
  record: ReputationView;
  capabilities: NodeCapabilities;
}

export interface KindStats {
  nodes: number;
  /** slots the nodes announced */
  announced: number;
  /** slots granted now (slow start); free counts against these */
  slots: number;
  free: number;
  latencyMs: number | null;
  /** largest memory one job may use on a connected node; null with none connected */
  maxMemoryMb: number | null;
}

/** Which nodes may take one job (replicas must run on other nodes and networks). */
export interface NodeFilter {
  excludeIds?: ReadonlySet<string>;
  excludeNetworks?: ReadonlySet<string>;
  trustedOnly?: boolean;
  /** only nodes that joined with a credential of this label prefix (the spot substrate's own instances) */
  labelPrefix?: string;
}

export class NodePool {
  readonly heartbeatMs: number;
  readonly maxMessageBytes: number;
  private readonly admit: AdmitFn;
  private readonly registerTimeoutMs: number;
  private readonly initialGrant: number;
  private readonly speculativeMinMs: number;
  private readonly speculativeFactor: number;
  private readonly hoardTimeoutMs: number;
  private readonly reputationPolicy: ReputationPolicy | undefined;
  private readonly isOwnBlob: (url: string) => string | null;
  private readonly onCapacity: () => void;
  private readonly onNodeLeft: (node: PoolNode) => void;
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
  /** results for assignments no longer held (reassigned, timed out, unknown, another node's) */
  ignoredResults = 0;
  /** assignments re-run elsewhere because their node was too slow */
  speculativeReruns = 0;

  constructor(opts: NodePoolOptions = {}) {
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.registerTimeoutMs = opts.registerTimeoutMs ?? DEFAULT_REGISTER_TIMEOUT_MS;
    this.admit = opts.admit ?? (() => ({ admitted: true, credential: { type: 'open' } }));
    this.initialGrant = Math.max(1, opts.initialGrant ?? 2);
    this.speculativeMinMs = opts.speculativeMinMs ?? 2000;
    this.speculativeFactor = opts.speculativeFactor ?? 8;
    this.hoardTimeoutMs = opts.hoardTimeoutMs ?? 30_000;
    this.reputationPolicy = opts.reputation;
    this.isOwnBlob = ownBlobMatcher(opts.publicOrigins ?? []);
    this.onCapacity = opts.onCapacity ?? (() => {});
    this.onNodeLeft = opts.onNodeLeft ?? (() => {});
    this.logger = opts.logger ?? silentLogger;
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.max(10, Math.min(250, this.heartbeatMs / 2)));
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

  /** Runs a batch on nodes of one kind and collects the outcomes (no verification: see NodeVerifier). */
  execute(kind: NodeKind, batch: readonly ExecRequest[]): Promise<ExecOutcome[]> {
    return collectOutcomes(batch.length, (settle) => this.dispatch(kind, batch, settle));
  }

  /**
   * Hands a batch to nodes of one kind: one assign message per node, within
   * each node's free grant, round robin from a moving cursor (fast nodes free
   * their slots sooner and so take more work). `onSettled` is called once per
   * job; jobs no node has room for settle at once as SUBSTRATE_FAILED.
   */
  dispatch(kind: NodeKind, batch: readonly ExecRequest[], onSettled: (index: number, outcome: ExecOutcome, node: PoolNode | null, answered: boolean) => void): void {
    const totals = this.kinds[kind];
    const now = Date.now();
    let next = 0;
    for (let seen = 0; seen < totals.nodes.length && next < batch.length; seen++) {
      totals.cursor = (totals.cursor + 1) % totals.nodes.length;
      const node = totals.nodes[totals.cursor]!;
      const free = node.grant - node.inFlight;
      if (free <= 0) continue;
      const take = Math.min(free, batch.length - next);
      const settles = new Array<SettleFn>(take);
      for (let k = 0; k < take; k++) {
        const index = next + k;
        settles[k] = (outcome, n, answered) => onSettled(index, outcome, n, answered);
      }
      this.assign(node, batch.slice(next, next + take), settles, now);
      next += take;
    }
    for (; next < batch.length; next++) onSettled(next, failed('SUBSTRATE_FAILED', `no ${kind} node has a free slot`, 0), null, false);
  }

  /**
   * Runs one job on one node that passes `filter` (a replica, a canary).
   * Prefers trusted nodes, then the fastest. Returns false when no such node
   * has a free slot; `onSettled` is then never called.
   */
  runOne(kind: NodeKind | 'any', req: ExecRequest, filter: NodeFilter, onSettled: SettleFn): boolean {
    let best: PoolNode | null = null;
    const kinds: NodeKind[] = kind === 'any' ? ['node', 'browser'] : [kind];
    for (const k of kinds) {
      for (const node of this.kinds[k].nodes) {
        if (node.grant - node.inFlight <= 0 || !passes(node, filter)) continue;
        if (best === null || better(node, best)) best = node;
      }
    }
    if (best === null) return false;
    this.assign(best, [req], [onSettled], Date.now());
    return true;
  }

  /** Whether some connected node of `kind` other than the excluded could take a replica now or soon. */
  hasCandidate(kind: NodeKind | 'any', filter: NodeFilter): boolean {
    const kinds: NodeKind[] = kind === 'any' ? ['node', 'browser'] : [kind];
    return kinds.some((k) => this.kinds[k].nodes.some((n) => passes(n, filter)));
  }

  /** Distinct networks among connected nodes: quorums ask for distinct networks only when there is more than one. */
  networkCount(): number {
    const networks = new Set<string>();
    for (const n of this.byId.values()) networks.add(n.network);
    return networks.size;
  }

  node(id: string): PoolNode | undefined {
    return this.byId.get(id);
  }

  stats(kind: NodeKind): KindStats {
    const totals = this.kinds[kind];
    if (totals.maxMemoryMb === null && totals.nodes.length > 0) {
      totals.maxMemoryMb = totals.nodes.reduce((max, n) => Math.max(max, n.memoryMb), 0);
    }
    return {
      nodes: totals.nodes.length,
      announced: totals.announced,
      slots: totals.slots,
      free: totals.slots - totals.inFlight,
      latencyMs: totals.latency.value,
      maxMemoryMb: totals.nodes.length > 0 ? totals.maxMemoryMb : null,
    };
  }

  views(kind?: NodeKind): NodeView[] {
    const nodes = kind === undefined ? [...this.kinds.browser.nodes, ...this.kinds.node.nodes] : this.kinds[kind].nodes;
    return nodes.map((n) => {
      const record = n.reputation.view();
      return {
        node_id: n.id, kind: n.kind, address: n.address, label: n.credential.label ?? null, credential: n.credential.type,
        slots: n.slots, slots_granted: n.grant, in_flight: n.inFlight, completed: n.completed,
        latency_ms: n.latency.value, throughput_bytes_per_ms: n.throughput.value,
        connected_at: new Date(n.connectedAt).toISOString(),
        state: record.state, reputation: n.reputation.score, record, capabilities: n.capabilities,
      };
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Closes a node's connection (it was banned): its unfinished jobs fail over at once. */
  expel(nodeId: string, reason: string): boolean {
    const node = this.byId.get(nodeId);
    if (node === undefined) return false;
    node.conn.transport.send(encodeMessage({ type: 'error', code: 'UNAUTHORIZED', message: truncate(reason, LIMITS.maxErrorMessageLength) }));
    this.disconnect(node.conn, CLOSE_CODES.unauthorized, truncate(`UNAUTHORIZED: ${reason}`, 120));
    return true;
  }

  /** Closes every node admitted with a credential that no longer admits (revoked join token, ban). */
  expelWhere(stillAdmitted: (node: PoolNode) => boolean, reason: string): number {
    let expelled = 0;
    for (const node of [...this.byId.values()]) {
      if (!stillAdmitted(node)) {
        this.expel(node.id, reason);
        expelled++;
      }
    }
    return expelled;
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
    const address = conn.transport.remoteAddress ?? 'unknown';
    const decision = this.admit(msg, address);
    if (!decision.admitted) {
      this.refuse(conn, 'UNAUTHORIZED', decision.reason, CLOSE_CODES.unauthorized);
      return;
    }
    const id = nodeIdFor(msg, decision.credential, this.byId);
    const totals = this.kinds[msg.kind];
    const memoryMb = msg.capabilities.device_memory_gb !== undefined
      ? Math.floor(msg.capabilities.device_memory_gb * 1024 / msg.slots)
      : DEFAULT_NODE_MEMORY_MB;
    const now = Date.now();
    const node: PoolNode = {
      id, kind: msg.kind, slots: msg.slots, grant: Math.min(msg.slots, this.initialGrant), memoryMb, capabilities: msg.capabilities, conn,
      address, network: networkOf(address), credential: decision.credential,
      reputation: new NodeReputation(this.reputationPolicy), connectedAt: now,
      inFlight: 0, index: totals.nodes.length, assignments: new Set(),
      latency: new Ewma(EWMA_ALPHA), throughput: new Ewma(EWMA_ALPHA), completed: 0, bytesDone: 0,
    };
    conn.node = node;
    this.byId.set(id, node);
    totals.nodes.push(node);
    totals.slots += node.grant;
    totals.announced += node.slots;
    if (totals.maxMemoryMb !== null) totals.maxMemoryMb = Math.max(totals.maxMemoryMb, memoryMb);
    conn.transport.send(encodeMessage({
      type: 'registered', node_id: id, heartbeat_ms: this.heartbeatMs,
      max_message_bytes: this.maxMessageBytes, max_batch: LIMITS.maxBatch,
    }));
    this.logger.info({ event: 'node_registered', node: id, kind: msg.kind, slots: msg.slots, credential: decision.credential.type, address }, 'node registered');
    this.onCapacity();
  }

  private assign(node: PoolNode, reqs: readonly ExecRequest[], settles: SettleFn[], now: number): void {
    const jobs = new Array<Assignment>(reqs.length);
    const latency = node.latency.value ?? this.kinds[node.kind].latency.value;
    for (let k = 0; k < reqs.length; k++) {
      const req = reqs[k]!;
      const assignmentId = `${this.idPrefix}${(this.nextAssignment++).toString(36)}`;
      this.held.set(assignmentId, { node, onSettle: settles[k]!, deadline: req.deadline, sentAt: now, overdueAt: now + this.overdueAfter(node, req.program, latency) });
      node.assignments.add(assignmentId);
      jobs[k] = {
        assignment_id: assignmentId, job_id: req.job_id,
        program: this.forNode(req.program, node, req.deadline),
        timeout_ms: Math.max(1, Math.min(req.deadline - now, 2 ** 31 - 1)),
      };
    }
    node.inFlight += reqs.length;
    this.kinds[node.kind].inFlight += reqs.length;
    node.conn.transport.send(encodeMessage({ type: 'assign', jobs }));
  }

  /**
   * How long a node may hold a job before it is re-run elsewhere: several
   * times its measured round trip, or the time its measured throughput needs
   * for the window, whichever is longer, and never less than speculativeMinMs.
   */
  private overdueAfter(node: PoolNode, program: ProgramSpec, latencyMs: number | null): number {
    const bytes = jobWindowBytes(program);
    const rate = node.throughput.value;
    const transfer = bytes !== null && rate !== null && rate > 0 ? bytes / rate : 0;
    return Math.max(this.speculativeMinMs, this.speculativeFactor * Math.max(latencyMs ?? 0, transfer));
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
      const roundTrip = now - held.sentAt;
      node.latency.add(roundTrip);
      this.kinds[node.kind].latency.add(roundTrip);
      if (held.onSettle === null) {
        this.ignoredResults++;
        continue;
      }
      node.completed++;
      this.growGrant(node);
      const settle = held.onSettle;
      held.onSettle = null;
      if (r.ok) {
        if (r.exec_time_ms > 0) node.throughput.add(r.bytes_processed / r.exec_time_ms);
        node.bytesDone += r.bytes_processed;
        settle({ ok: true, result: r.result, bytes_processed: r.bytes_processed, exec_time_ms: r.exec_time_ms, node: node.id }, node, true);
      } else {
        // A node never decides that a job fails for good: every failure it reports is retryable.
        settle({ ok: false, error: r.error, retryable: true, exec_time_ms: r.exec_time_ms, node: node.id }, node, true);
      }
    }
    if (freed > 0) this.capacityFreed();
  }

  private growGrant(node: PoolNode): void {
    if (node.grant >= node.slots) return;
    node.grant++;
    this.kinds[node.kind].slots++;
  }

  private shrinkGrant(node: PoolNode): void {
    const next = Math.max(1, Math.floor(node.grant / 2));
    this.kinds[node.kind].slots -= node.grant - next;
    node.grant = next;
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

  private removeNode(node: PoolNode, reason: string): void {
    const totals = this.kinds[node.kind];
    const last = totals.nodes.pop()!;
    if (last !== node) {
      totals.nodes[node.index] = last;
      last.index = node.index;
    }
    totals.slots -= node.grant;
    totals.announced -= node.slots;
    if (node.memoryMb === totals.maxMemoryMb) totals.maxMemoryMb = null;
    this.byId.delete(node.id);
    const now = Date.now();
    for (const assignmentId of node.assignments) {
      const held = this.held.get(assignmentId)!;
      this.release(assignmentId, held);
      const settle = held.onSettle;
      if (settle !== null) {
        held.onSettle = null;
        settle(failed('SUBSTRATE_FAILED', `node ${node.id} went away (${reason})`, now - held.sentAt, node.id), node, false);
      }
    }
    this.onNodeLeft(node);
    this.logger.info({ event: 'node_left', node: node.id, reason }, 'node left');
  }

  private refuse(conn: PoolConnection, code: ErrorCode, message: string, closeCode: number): void {
    this.logger.warn({ event: 'node_refused', code, reason: message, address: conn.transport.remoteAddress }, 'node connection refused');
    conn.transport.send(encodeMessage({ type: 'error', code, message: truncate(message, LIMITS.maxErrorMessageLength) }));
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
    let hoarders: Set<PoolNode> | null = null;
    for (const held of this.held.values()) {
      if (held.onSettle === null) {
        if (now - held.overdueAt > this.hoardTimeoutMs && !held.node.conn.gone) {
          hoarders ??= new Set();
          hoarders.add(held.node);
        }
        continue;
      }
      if (now > held.deadline + DEADLINE_GRACE_MS) {
        this.settleHere(held, failed('TIMEOUT', `node ${held.node.id} did not answer before the job's deadline`, now - held.sentAt, held.node.id));
      } else if (now > held.overdueAt) {
        this.speculativeReruns++;
        this.settleHere(held, failed('TIMEOUT', `node ${held.node.id} held the job ${now - held.sentAt} ms, far past its usual ${Math.round(held.node.latency.value ?? 0)} ms; re-running it elsewhere`, now - held.sentAt, held.node.id));
      }
    }
    for (const node of hoarders ?? []) this.disconnect(node.conn, CLOSE_CODES.heartbeatMissed, `sat on jobs for over ${Math.round(this.hoardTimeoutMs / 1000)} s`);
  }

  /**
   * Settles a job the node has not answered; its slot stays busy until the
   * node does, and its grant halves. Lateness is not a wrong answer, so its
   * reputation is untouched: a dispatcher slowed by load must not turn that
   * into extra checks, which would slow it further.
   */
  private settleHere(held: Held, outcome: ExecOutcome): void {
    const settle = held.onSettle!;
    held.onSettle = null;
    this.shrinkGrant(held.node);
    settle(outcome, held.node, false);
    this.capacityFreed();
  }
}

/** Assumed memory per slot of a node that does not say (browsers without navigator.deviceMemory). */
const DEFAULT_NODE_MEMORY_MB = 512;

/**
 * A join-token node is known by its token's id (one machine per token); any
 * other node may propose an id, which is kept unless it is taken or could be
 * mistaken for a join-token node's. Reputation is per connection either way:
 * a proposed id never inherits anything.
 */
function nodeIdFor(msg: RegisterMessage, credential: NodeCredential, byId: ReadonlyMap<string, PoolNode>): string {
  const random = () => `${msg.kind}-${randomBytes(6).toString('hex')}`;
  if (credential.type === 'join' && credential.id !== undefined) {
    const id = `jt-${credential.id}`;
    return byId.has(id) ? `${id}-${randomBytes(3).toString('hex')}` : id;
  }
  const proposed = msg.node_id;
  if (proposed === undefined || byId.has(proposed) || proposed.startsWith('jt-')) return random();
  return proposed;
}

function passes(node: PoolNode, filter: NodeFilter): boolean {
  if (node.reputation.state === 'banned') return false;
  if (filter.trustedOnly === true && !node.reputation.trusted) return false;
  if (filter.excludeIds?.has(node.id)) return false;
  if (filter.excludeNetworks?.has(node.network)) return false;
  if (filter.labelPrefix !== undefined && !(node.credential.label ?? '').startsWith(filter.labelPrefix)) return false;
  return true;
}

/** Trusted before probation, then the most free room, then the lower latency. */
function better(a: PoolNode, b: PoolNode): boolean {
  if (a.reputation.trusted !== b.reputation.trusted) return a.reputation.trusted;
  const freeA = a.grant - a.inFlight;
  const freeB = b.grant - b.inFlight;
  if (freeA !== freeB) return freeA > freeB;
  return (a.latency.value ?? Infinity) < (b.latency.value ?? Infinity);
}

function newTotals(): KindTotals {
  return { nodes: [], cursor: 0, slots: 0, announced: 0, inFlight: 0, latency: new Ewma(EWMA_ALPHA), maxMemoryMb: null };
}

function failed(code: ErrorCode, message: string, execTimeMs: number, node?: string): ExecOutcome {
  const outcome: ExecOutcome = { ok: false, error: { code, message }, retryable: true, exec_time_ms: execTimeMs };
  if (node !== undefined) outcome.node = node;
  return outcome;
}

function truncate(text: string, max: number): string {
  return Buffer.byteLength(text) <= max ? text : Buffer.from(text).subarray(0, max).toString('utf8').replace(/\uFFFD$/, '');
}
