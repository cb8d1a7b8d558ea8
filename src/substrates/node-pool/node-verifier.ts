import { randomBytes, randomUUID } from 'node:crypto';
import type { ProgramSpec, ResultRecord, Verification, VerifyMode } from '../../job/types.js';
import { base64DecodedLength, jobWindowBytes } from '../../job/window-length.js';
import { runOps } from '../../ops/index.js';
import type { OpResult } from '../../ops/types.js';
import { resultShapeError, sameResult } from '../../trust/result-shape.js';
import { collectOutcomes } from '../collect-outcomes.js';
import { silentLogger, type Logger } from '../../logger.js';
import { toErrorBody } from '../../errors.js';
import type { ExecOutcome, ExecRequest, Substrate } from '../substrate.js';
import type { NodeFilter, NodePool, PoolNode } from './node-pool.js';
import type { NodeKind } from '../../node-protocol/index.js';
import { ArbiterQueue } from './arbiter-queue.js';

/**
 * Verification of every result that comes from an untrusted node
 * (docs/trust.md). It sits between the browser/volunteer substrates and the
 * node pool, so the dispatch loop only ever sees results that passed it.
 *
 * One job's path through it:
 *
 *   node answers ok ──shape wrong──────────────────────────────► convict node, arbiter computes the job
 *        │
 *        ├─ node on probation, job asks quorum, or spot-check ─► arbiter runs it too ─agree─► accept (trusted | spot-check | quorum)
 *        │                                                                            ├─differ─► convict node, store the arbiter's result
 *        │                                                                            └─cannot read the data─► a second node must agree
 *        ├─ verify "none" (operator allows it) ─────────────────► accept (unchecked)
 *        └─ trusted node, no check drawn ───────────────────────► accept (unchecked), journal it for re-verification
 *   node fails, is too slow or leaves ──► retryable failure: the dispatcher runs it again (another node or substrate);
 *                                        on the job's last attempt the arbiter computes it, so no node fails a job for good
 *
 * The arbiter is a trusted substrate (the local threads): pinning a job to
 * `volunteer` decides where it is placed, not who may check it. Without an
 * arbiter, results are confirmed by a second node on another network,
 * preferring trusted nodes; two nodes on probation then never raise each
 * other's trust (colluders cannot vouch for each other).
 *
 * A convicted node is banned (connection closed, id and join token refused),
 * and every result it had accepted unchecked is computed again by the
 * arbiter; wrong ones are corrected in the store (`amend`). Known-answer
 * canaries (fresh random inline data, answers computed here) go to trusted
 * nodes at `canaryRate` of the real jobs.
 */
export interface NodeVerifierOptions {
  pool: NodePool;
  /** the trusted substrate that checks and completes jobs, looked up when needed; null: quorum among nodes */
  arbiter: () => Substrate | null;
  /** replaces stored results found wrong; resolves per item whether it replaced one */
  amend?: (corrections: Correction[]) => Promise<void>;
  /** reads a stored result, to correct it */
  readResult?: (jobId: string) => Promise<ResultRecord | null>;
  /** a node was caught lying: record the ban (ledger) */
  onConvicted?: (node: PoolNode, reason: string) => void;
  /** may jobs say verify: "none"; default false */
  allowUnverified?: boolean;
  /** canaries per real job sent to trusted nodes; default 0.01 */
  canaryRate?: number;
  /** newest unchecked results kept per node for re-verification (older ones age out); default 20 000 */
  journalPerNode?: number;
  /** inline bytes journaled in all; past it results are checked at once instead; default 256 MiB */
  journalBytes?: number;
  logger?: Logger;
  random?: () => number;
}

/** A stored result to replace: the job's id, and what verification found. */
export interface Correction {
  jobId: string;
  node: string;
  result: OpResult | OpResult[];
  bytesProcessed: number;
}

export interface VerificationStats {
  /** results accepted and handed to the dispatcher */
  accepted: number;
  /** executions on nodes (assignments sent), including replicas and canaries */
  nodeExecutions: number;
  /** executions on the arbiter (checks, fallbacks, re-verification) */
  arbiterExecutions: number;
  canaries: number;
  /** results from nodes found wrong or malformed */
  wrongCaught: number;
  convicted: number;
  /** stored results replaced after re-verification */
  corrected: number;
  byMethod: Record<Verification['method'], number>;
}

interface JournalEntry {
  req: ExecRequest;
  result: OpResult | OpResult[];
  bytes: number;
}

interface JobCtx {
  req: ExecRequest;
  mode: VerifyMode;
  executions: number;
  done: boolean;
  finish: (outcome: ExecOutcome) => void;
}

const EXTERNAL_URL = /^https?:\/\//;

export class NodeVerifier {
  private readonly pool: NodePool;
  private readonly findArbiter: () => Substrate | null;
  private arbiterQueue: ArbiterQueue | null = null;
  private readonly amend: (corrections: Correction[]) => Promise<void>;
  private readonly readResult: (jobId: string) => Promise<ResultRecord | null>;
  private readonly onConvicted: (node: PoolNode, reason: string) => void;
  private readonly allowUnverified: boolean;
  private readonly canaryRate: number;
  private readonly journalPerNode: number;
  private readonly journalBytesMax: number;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly journals = new Map<string, JournalEntry[]>();
  private journalBytes = 0;
  private readonly counters: VerificationStats = {
    accepted: 0, nodeExecutions: 0, arbiterExecutions: 0, canaries: 0, wrongCaught: 0, convicted: 0, corrected: 0,
    byMethod: { trusted: 0, quorum: 0, 'spot-check': 0, unchecked: 0 },
  };

  constructor(opts: NodeVerifierOptions) {
    this.pool = opts.pool;
    this.findArbiter = opts.arbiter;
    this.amend = opts.amend ?? (async () => {});
    this.readResult = opts.readResult ?? (async () => null);
    this.onConvicted = opts.onConvicted ?? (() => {});
    this.allowUnverified = opts.allowUnverified ?? false;
    this.canaryRate = opts.canaryRate ?? 0.01;
    this.journalPerNode = opts.journalPerNode ?? 20_000;
    this.journalBytesMax = opts.journalBytes ?? 256 * 1024 * 1024;
    this.logger = opts.logger ?? silentLogger;
    this.random = opts.random ?? Math.random;
  }

  /** The arbiter's batching queue, or null when no trusted substrate can check (it may be registered later). */
  private get arbiter(): ArbiterQueue | null {
    const substrate = this.findArbiter();
    if (substrate === null) return null;
    if (this.arbiterQueue?.substrate !== substrate) this.arbiterQueue = new ArbiterQueue(substrate);
    return this.arbiterQueue;
  }

  stats(): VerificationStats {
    return { ...this.counters, byMethod: { ...this.counters.byMethod } };
  }

  /** Runs a batch on nodes of one kind; every outcome that comes back has passed verification. */
  execute(kind: NodeKind, batch: readonly ExecRequest[]): Promise<ExecOutcome[]> {
    return collectOutcomes(batch.length, (settle) => {
      const ctxs = batch.map((req, i): JobCtx => ({
        req, mode: this.modeOf(req), executions: 0, done: false,
        finish: (outcome) => settle(i, outcome),
      }));
      this.pool.dispatch(kind, batch, (i, outcome, node, answered) => this.onNodeOutcome(ctxs[i]!, outcome, node, answered));
      this.sendCanaries(kind, batch);
    });
  }

  /** Forgets the journal of a node that left: its unchecked results can no longer be traced to a later conviction. */
  forget(nodeId: string): void {
    const journal = this.journals.get(nodeId);
    if (journal === undefined) return;
    for (const e of journal) this.journalBytes -= e.bytes;
    this.journals.delete(nodeId);
  }

  private modeOf(req: ExecRequest): VerifyMode {
    const mode = req.verify ?? 'auto';
    // The API refuses "none" unless allowed; a job stored before the operator changed their mind is checked anyway.
    return mode === 'none' && !this.allowUnverified ? 'auto' : mode;
  }

  private onNodeOutcome(ctx: JobCtx, outcome: ExecOutcome, node: PoolNode | null, answered: boolean): void {
    if (node !== null) {
      ctx.executions++;
      this.counters.nodeExecutions++;
    }
    if (!outcome.ok || node === null) {
      if (answered && node !== null) node.reputation.erred();
      // Another node (or substrate) gets the next attempt; only a last attempt falls to the arbiter, so no node fails a job for good.
      if (ctx.req.last_attempt === true) this.completeElsewhere(ctx, outcome);
      else ctx.finish(outcome.ok ? outcome : { ...outcome, retryable: true });
      return;
    }
    const shape = resultShapeError(ctx.req.program, outcome.result, outcome.bytes_processed);
    if (shape !== null) {
      this.convict(node, `sent a malformed result: ${shape}`);
      this.completeElsewhere(ctx, { ok: false, retryable: true, exec_time_ms: outcome.exec_time_ms, node: node.id, error: { code: 'RESULT_REJECTED', message: `node ${node.id} sent a malformed result: ${shape}` } });
      return;
    }
    if (ctx.mode === 'none') {
      if (node.reputation.trusted) node.reputation.acceptedUnchecked();
      this.accept(ctx, outcome, 'unchecked', 1);
      return;
    }
    const mustCheck = ctx.mode === 'quorum' || node.reputation.mustCheck() || !this.canJournal(ctx.req);
    if (!mustCheck) {
      node.reputation.acceptedUnchecked();
      this.journal(node, ctx.req, outcome.result);
      this.accept(ctx, outcome, 'unchecked', 1);
      return;
    }
    if (this.arbiter !== null) void this.checkWithArbiter(ctx, node, outcome);
    else this.checkWithReplica(ctx, node, outcome);
  }

  private async checkWithArbiter(ctx: JobCtx, node: PoolNode, claimed: Extract<ExecOutcome, { ok: true }>): Promise<void> {
    const wasTrusted = node.reputation.trusted;
    const truth = await this.runArbiter(ctx);
    if (!truth.ok) {
      // The arbiter could not read the data (its SSRF policy, its network, the blob store): that proves nothing
      // against the node. Another node on another network must confirm instead.
      this.checkWithReplica(ctx, node, claimed);
      return;
    }
    if (sameResult(truth.result, claimed.result) && truth.bytes_processed === claimed.bytes_processed) {
      node.reputation.confirmed();
      const method = ctx.mode === 'quorum' ? 'quorum' : wasTrusted ? 'spot-check' : 'trusted';
      this.accept(ctx, claimed, method, 2);
      return;
    }
    if (ctx.req.program.data_url !== undefined && EXTERNAL_URL.test(ctx.req.program.data_url)) {
      // A URL's content may change between reads; only a stable source convicts.
      const again = await this.runArbiter(ctx);
      if (!again.ok || !sameResult(again.result, truth.result)) {
        ctx.finish({ ok: false, retryable: true, exec_time_ms: 0, error: { code: 'DATA_FETCH_FAILED', message: 'the data at data_url changed between reads; the result could not be verified' } });
        return;
      }
    }
    this.convict(node, 'sent a result that disagrees with a trusted execution');
    this.accept(ctx, truth, 'trusted', 1);
  }

  /** No arbiter: a second node on another network (trusted ones first) must agree. */
  private checkWithReplica(ctx: JobCtx, node: PoolNode, claimed: Extract<ExecOutcome, { ok: true }>): void {
    const filter: NodeFilter = { excludeIds: new Set([node.id]), ...(this.pool.networkCount() > 1 ? { excludeNetworks: new Set([node.network]) } : {}) };
    const onReplica = (outcome: ExecOutcome, replica: PoolNode | null): void => {
      if (replica !== null) {
        ctx.executions++;
        this.counters.nodeExecutions++;
      }
      if (!outcome.ok || replica === null) {
        ctx.finish({ ok: false, retryable: true, exec_time_ms: claimed.exec_time_ms, error: { code: 'SUBSTRATE_FAILED', message: `no independent node confirmed the result of node ${node.id}` } });
        return;
      }
      if (resultShapeError(ctx.req.program, outcome.result, outcome.bytes_processed) === null && sameResult(outcome.result, claimed.result)) {
        // Only a trusted party's agreement builds trust: nodes on probation cannot vouch for each other.
        if (replica.reputation.trusted) node.reputation.confirmed();
        if (node.reputation.trusted) replica.reputation.confirmed();
        this.accept(ctx, claimed, 'quorum', 2);
        return;
      }
      node.reputation.erred();
      replica.reputation.erred();
      ctx.finish({ ok: false, retryable: true, exec_time_ms: claimed.exec_time_ms, error: { code: 'SUBSTRATE_FAILED', message: `nodes ${node.id} and ${replica.id} disagreed; the job runs again` } });
    };
    const sent = this.pool.runOne('any', { ...ctx.req }, { ...filter, trustedOnly: true }, onReplica)
      || this.pool.runOne('any', { ...ctx.req }, filter, onReplica);
    if (!sent) onReplica({ ok: false, retryable: true, exec_time_ms: 0, error: { code: 'SUBSTRATE_FAILED', message: 'no free node to confirm with' } }, null);
  }

  /** The node failed, left, was too slow or lied: the arbiter computes the job, or the dispatcher retries it. */
  private completeElsewhere(ctx: JobCtx, failure: ExecOutcome): void {
    if (this.arbiter === null) {
      ctx.finish(failure.ok ? failure : { ...failure, retryable: true });
      return;
    }
    void this.runArbiter(ctx).then((truth) => {
      if (truth.ok) this.accept(ctx, truth, 'trusted', 1);
      else ctx.finish(truth);
    });
  }

  private async runArbiter(ctx: JobCtx): Promise<ExecOutcome> {
    ctx.executions++;
    this.counters.arbiterExecutions++;
    const { verify: _verify, last_attempt: _last, ...req } = ctx.req;
    const outcome = await this.arbiter!.run(req);
    if (outcome.ok) delete outcome.node;
    return outcome;
  }

  private accept(ctx: JobCtx, outcome: Extract<ExecOutcome, { ok: true }>, method: Verification['method'], agreed: number): void {
    if (ctx.done) return;
    ctx.done = true;
    this.counters.accepted++;
    this.counters.byMethod[method]++;
    const verification: Verification = { method, executions: Math.max(ctx.executions, agreed), agreed };
    const accepted: ExecOutcome = { ok: true, result: outcome.result, bytes_processed: outcome.bytes_processed, exec_time_ms: outcome.exec_time_ms, verification };
    if (outcome.node !== undefined) accepted.node = outcome.node;
    ctx.finish(accepted);
  }

  private canJournal(req: ExecRequest): boolean {
    return this.journalBytes + inlineBytes(req.program) <= this.journalBytesMax;
  }

  private journal(node: PoolNode, req: ExecRequest, result: OpResult | OpResult[]): void {
    if (this.arbiter === null) return;
    const bytes = inlineBytes(req.program);
    let journal = this.journals.get(node.id);
    if (journal === undefined) {
      journal = [];
      this.journals.set(node.id, journal);
    }
    journal.push({ req, result, bytes });
    this.journalBytes += bytes;
    // A long-lived node keeps its newest results re-verifiable; the oldest age out in blocks (cheaper than one shift per result).
    if (journal.length > this.journalPerNode * 1.25) {
      for (const old of journal.splice(0, journal.length - this.journalPerNode)) this.journalBytes -= old.bytes;
    }
  }

  private convict(node: PoolNode, reason: string): void {
    this.counters.wrongCaught++;
    if (node.reputation.state === 'banned') return;
    node.reputation.caughtLying();
    this.counters.convicted++;
    this.logger.warn({ event: 'node_convicted', node: node.id, kind: node.kind, address: node.address, reason }, 'node banned: its results were wrong');
    const journal = this.journals.get(node.id) ?? [];
    this.journals.delete(node.id);
    for (const e of journal) this.journalBytes -= e.bytes;
    this.onConvicted(node, reason);
    this.pool.expel(node.id, `banned: ${reason}`);
    if (journal.length > 0) void this.reverify(node.id, journal).catch((err) => this.logger.error({ event: 'reverify_failed', node: node.id, err: toErrorBody(err) }, 're-verifying a banned node\'s results failed'));
  }

  /**
   * Computes again every result the convicted node had accepted unchecked
   * and replaces the wrong ones in the store. A result not written yet (the
   * dispatcher's write is still on its way) is looked for again shortly.
   */
  private async reverify(nodeId: string, journal: JournalEntry[]): Promise<void> {
    const CHUNK = 512;
    for (let start = 0; start < journal.length; start += CHUNK) {
      const entries = journal.slice(start, start + CHUNK);
      const truths = await Promise.all(entries.map((e) => {
        this.counters.arbiterExecutions++;
        const { verify: _verify, last_attempt: _last, ...req } = e.req;
        return this.arbiter!.run({ ...req, deadline: Date.now() + 60_000 });
      }));
      const wrong: Correction[] = [];
      for (let i = 0; i < entries.length; i++) {
        const truth = truths[i]!;
        if (truth.ok && !sameResult(truth.result, entries[i]!.result)) {
          wrong.push({ jobId: entries[i]!.req.job_id, node: nodeId, result: truth.result, bytesProcessed: truth.bytes_processed });
        }
      }
      if (wrong.length > 0) await this.correct(wrong);
    }
  }

  private async correct(wrong: Correction[]): Promise<void> {
    let pending = wrong;
    for (let round = 0; round < 20 && pending.length > 0; round++) {
      const ready: Correction[] = [];
      const later: Correction[] = [];
      for (const c of pending) {
        const stored = await this.readResult(c.jobId);
        if (stored === null) later.push(c);
        else if (stored.status === 'succeeded' && stored.node === c.node) ready.push(c);
      }
      if (ready.length > 0) {
        await this.amend(ready);
        this.counters.corrected += ready.length;
        this.logger.warn({ event: 'results_corrected', node: ready[0]!.node, count: ready.length }, 'stored results of a banned node were wrong and have been corrected');
      }
      pending = later;
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * Known-answer jobs for trusted nodes, shaped like the batch's inline jobs
   * (same ops, same window size) over fresh random bytes, so a node cannot
   * tell them from real work. Their answers are computed here.
   */
  private sendCanaries(kind: NodeKind, batch: readonly ExecRequest[]): void {
    if (this.canaryRate <= 0) return;
    let count = Math.floor(batch.length * this.canaryRate + this.random());
    for (let tries = 0; count > 0 && tries < 4 * count + 4; tries++) {
      const template = batch[Math.floor(this.random() * batch.length)]!;
      const canary = makeCanary(template);
      if (canary === null) continue;
      const sent = this.pool.runOne(kind, canary.req, { trustedOnly: true }, (outcome, node) => {
        if (node === null) return;
        this.counters.nodeExecutions++;
        if (!outcome.ok) {
          node.reputation.erred();
          return;
        }
        const shape = resultShapeError(canary.req.program, outcome.result, outcome.bytes_processed);
        if (shape === null && sameResult(outcome.result, canary.answer)) node.reputation.confirmed();
        else this.convict(node, shape === null ? 'got a known-answer job wrong' : `sent a malformed result: ${shape}`);
      });
      if (!sent) return;
      this.counters.canaries++;
      count--;
    }
  }
}

const MAX_CANARY_BYTES = 1024 * 1024;

function makeCanary(template: ExecRequest): { req: ExecRequest; answer: OpResult | OpResult[] } | null {
  const program = template.program;
  if (program.data === undefined) return null;
  const total = base64DecodedLength(program.data);
  if (total > MAX_CANARY_BYTES) return null;
  const data = randomBytes(total);
  const window = jobWindowBytes({ ...program, data: data.toString('base64') }) ?? 0;
  const bytes = data.subarray(program.offset, program.offset + window);
  const canaryProgram: ProgramSpec = { ...program, data: data.toString('base64') };
  const results = runOps(program.ops, bytes, program.fnv_state);
  return {
    req: { job_id: randomUUID(), program: canaryProgram, deadline: template.deadline, required_memory_mb: template.required_memory_mb },
    answer: program.single ? results[0]! : results,
  };
}

function inlineBytes(program: ProgramSpec): number {
  return program.data === undefined ? 256 : program.data.length;
}
