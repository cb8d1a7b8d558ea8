import { randomBytes } from 'node:crypto';
import { PacketFSError, toErrorBody, type ErrorCode } from '../../errors.js';
import type { Capabilities } from '../../scheduler/capabilities.js';
import type { NodePool, PoolNode } from '../node-pool/node-pool.js';
import type { MintedToken, MintRequest } from '../../trust/node-access.js';
import type { ExecOutcome, ExecRequest, HealthReport, Substrate } from '../substrate.js';
import { collectOutcomes } from '../collect-outcomes.js';
import { Ec2Api, type Ec2ApiOptions } from './ec2-api.js';
import { spotUserData } from './user-data.js';

/** What the spot substrate needs of the dispatcher's node service: its pool, and join tokens for its instances. */
export interface NodeHost {
  readonly pool: NodePool;
  mintToken(req: MintRequest): Promise<MintedToken>;
  revokeToken(id: string): Promise<boolean>;
}

/** A substrate whose workers join the dispatcher's node pool: the dispatcher attaches the pool before start(). */
export interface NodeHosted {
  attachNodes(host: NodeHost): void;
}

export function isNodeHosted(s: Substrate): s is Substrate & NodeHosted {
  return typeof (s as Partial<NodeHosted>).attachNodes === 'function';
}

export interface SpotSubstrateOptions extends Ec2ApiOptions {
  name: string;
  imageId: string;
  instanceType: string;
  /** ws(s):// URL of this dispatcher's node socket as the instances reach it */
  coordinatorUrl: string;
  maxInstances: number;
  /** jobs one instance runs at once (the worker's --slots); default 2 */
  slotsPerInstance?: number;
  /** an instance with no work for this long is terminated; default 5 minutes */
  idleTerminateMs?: number;
  /** an instance that has not joined the pool this long after launch is terminated; default 10 minutes */
  bootTimeoutMs?: number;
  maxPriceUsd?: number;
  subnetId?: string;
  securityGroupIds?: string[];
  keyName?: string;
  iamInstanceProfile?: string;
  workerCommand?: string;
  /** memory one job may use on an instance; default 2048 */
  maxMemoryMb?: number;
  /** USD per instance-hour until DescribeSpotPriceHistory has answered; default 0.01 */
  fallbackUsdPerHour?: number;
  /** how often the spot price is read; default 10 minutes */
  priceRefreshMs?: number;
  /** how often instances are checked for idleness, departure and boot timeouts; default 5 s */
  checkIntervalMs?: number;
  latencyMs?: number;
}

/**
 * One instance we launched, by state:
 *   booting    launched, its worker has not joined the pool yet
 *   joined     its worker is in the pool (the node's credential label is ours)
 *   gone       its worker left after joining (interrupted, crashed) or it
 *              never joined in time: terminated and forgotten
 */
interface Instance {
  readonly id: string;
  readonly label: string;
  readonly tokenId: string;
  readonly launchedAt: number;
  joined: boolean;
  idleSince: number | null;
}

interface Waiting {
  readonly req: ExecRequest;
  readonly settle: (outcome: ExecOutcome) => void;
}

const MAX_DURATION_S = 3600;
const TOKEN_TTL_S = 7 * 86_400;

/**
 * `spot`: EC2 Spot instances running `packetfs worker --coordinator … --spot`
 * (docs/spot.md). Each instance boots with a join token minted for it alone,
 * labelled `spot:<name>:<id>`, so its worker joins this dispatcher's node
 * pool and this substrate sends jobs only to its own instances' nodes
 * (trusted: they are the operator's machines, running the operator's image).
 *
 * Capacity follows demand like the Fly scaler: slots are what the maximum
 * fleet could run, jobs wait here (up to their deadline) while instances
 * boot, and instances are launched for waiting + running jobs, up to
 * maxInstances. An instance idle for idleTerminateMs, one that never joins,
 * and one whose worker left (a spot interruption) are terminated and their
 * tokens revoked. Price: the spot price of the instance type, shared by its
 * slots (USD per slot-hour), refreshed from DescribeSpotPriceHistory.
 */
export class SpotSubstrate implements Substrate, NodeHosted {
  readonly type = 'spot';
  readonly name: string;
  private readonly ec2: Ec2Api;
  private readonly opts: SpotSubstrateOptions;
  private readonly slots: number;
  private readonly labelPrefix: string;
  private host: NodeHost | null = null;
  private readonly instances = new Map<string, Instance>();
  private launching = 0;
  private waiting: Waiting[] = [];
  private inFlight = 0;
  private usdPerInstanceHour: number;
  private lastError: string | null = null;
  private pumpTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private priceTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(opts: SpotSubstrateOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.slots = opts.slotsPerInstance ?? 2;
    this.labelPrefix = `spot:${opts.name.slice(0, 40)}:`;
    this.usdPerInstanceHour = opts.fallbackUsdPerHour ?? 0.01;
    this.ec2 = new Ec2Api(opts);
  }

  attachNodes(host: NodeHost): void {
    this.host = host;
  }

  /** Instances launched and not terminated (diagnostics, tests). */
  get instanceIds(): string[] {
    return [...this.instances.keys()];
  }

  async start(): Promise<void> {
    if (this.host === null) {
      throw new PacketFSError('INVALID_REQUEST', `substrate ${this.name}: spot instances join the node pool, which is off (nodes: false)`, { path: 'substrates' });
    }
    await this.refreshPrice();
    this.priceTimer = setInterval(() => void this.refreshPrice(), this.opts.priceRefreshMs ?? 600_000);
    this.priceTimer.unref();
    this.checkTimer = setInterval(() => void this.checkInstances(), this.opts.checkIntervalMs ?? 5000);
    this.checkTimer.unref();
  }

  capabilities(): Capabilities {
    const max = this.opts.maxInstances * this.slots;
    return {
      max_concurrent_jobs: max,
      max_memory_mb: this.opts.maxMemoryMb ?? 2048,
      max_duration_seconds: MAX_DURATION_S,
      supports_gpu: false,
      supports_persistent_state: false,
      cost_per_hour_usd: this.usdPerInstanceHour,
      latency_ms: this.opts.latencyMs ?? 100,
      available_slots: Math.max(0, max - this.waiting.length - this.inFlight),
      pricing: { model: 'per_hour', usd_per_hour: this.usdPerInstanceHour / this.slots },
      trust: 'trusted',
    };
  }

  execute(batch: ExecRequest[]): Promise<ExecOutcome[]> {
    return collectOutcomes(batch.length, (settle) => {
      for (let i = 0; i < batch.length; i++) this.waiting.push({ req: batch[i]!, settle: (outcome) => settle(i, outcome) });
      this.scale();
      this.pump();
    });
  }

  async probe(): Promise<HealthReport> {
    const joined = [...this.instances.values()].filter((i) => i.joined).length;
    const detail = `${this.instances.size} instances (${joined} joined), $${this.usdPerInstanceHour}/h each${this.lastError === null ? '' : `; EC2: ${this.lastError}`}`;
    // EC2 refusing launches with nothing running is a fault; with instances up the substrate still works
    return { healthy: this.lastError === null || joined > 0, detail };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of [this.pumpTimer, this.checkTimer, this.priceTimer]) if (t !== null) clearTimeout(t);
    for (const w of this.waiting.splice(0)) w.settle(failure('SHUTTING_DOWN', 'the dispatcher is shutting down'));
    // instances bill by the second while they run: ours go with us (their tokens die with the node service, closed before us)
    await this.terminate([...this.instances.values()], false).catch(() => undefined);
    this.ec2.close();
  }

  /** Runs the idleness / departure / boot-timeout check now (tests, operators). */
  async checkInstances(): Promise<void> {
    if (this.host === null || this.closed) return;
    const now = Date.now();
    const nodes = this.ownNodes();
    const busy = this.waiting.length > 0;
    const done: Instance[] = [];
    for (const instance of this.instances.values()) {
      const node = nodes.get(instance.label);
      if (node === undefined) {
        // left after joining (interrupted, crashed), or never came
        if (instance.joined || now - instance.launchedAt > (this.opts.bootTimeoutMs ?? 600_000)) done.push(instance);
        continue;
      }
      instance.joined = true;
      if (node.inFlight > 0 || busy) {
        instance.idleSince = null;
      } else {
        instance.idleSince ??= now;
        if (now - instance.idleSince >= (this.opts.idleTerminateMs ?? 300_000)) done.push(instance);
      }
    }
    await this.terminate(done);
    if (busy) this.scale();
  }

  private ownNodes(): Map<string, PoolNode> {
    const out = new Map<string, PoolNode>();
    for (const view of this.host!.pool.views('node')) {
      if (view.label === null || !view.label.startsWith(this.labelPrefix)) continue;
      const node = this.host!.pool.node(view.node_id);
      if (node !== undefined) out.set(view.label, node);
    }
    return out;
  }

  /** launches instances for the jobs waiting and running, up to maxInstances */
  private scale(): void {
    if (this.host === null || this.closed) return;
    const wanted = Math.min(this.opts.maxInstances, Math.ceil((this.waiting.length + this.inFlight) / this.slots));
    for (let have = this.instances.size + this.launching; have < wanted; have++) {
      this.launching++;
      void this.launch().finally(() => { this.launching--; });
    }
  }

  private async launch(): Promise<void> {
    const host = this.host!;
    const label = `${this.labelPrefix}${randomBytes(4).toString('hex')}`;
    let token: MintedToken | null = null;
    try {
      token = await host.mintToken({ kind: 'node', label, ttl_s: TOKEN_TTL_S });
      const id = await this.ec2.launchSpot({
        imageId: this.opts.imageId,
        instanceType: this.opts.instanceType,
        userData: spotUserData({
          coordinatorUrl: this.opts.coordinatorUrl, joinToken: token.token, slots: this.slots,
          ...(this.opts.workerCommand === undefined ? {} : { workerCommand: this.opts.workerCommand }),
        }),
        tags: { Name: label, 'packetfs:substrate': this.name },
        ...(this.opts.maxPriceUsd === undefined ? {} : { maxPriceUsd: this.opts.maxPriceUsd }),
        ...(this.opts.subnetId === undefined ? {} : { subnetId: this.opts.subnetId }),
        ...(this.opts.securityGroupIds === undefined ? {} : { securityGroupIds: this.opts.securityGroupIds }),
        ...(this.opts.keyName === undefined ? {} : { keyName: this.opts.keyName }),
        ...(this.opts.iamInstanceProfile === undefined ? {} : { iamInstanceProfile: this.opts.iamInstanceProfile }),
      });
      this.lastError = null;
      if (this.closed) {
        await this.ec2.terminate([id]);
        return;
      }
      this.instances.set(id, { id, label, tokenId: token.id, launchedAt: Date.now(), joined: false, idleSince: null });
    } catch (err) {
      this.lastError = toErrorBody(err).message;
      if (token !== null) await host.revokeToken(token.id).catch(() => undefined);
    }
  }

  private async terminate(instances: Instance[], revoke = true): Promise<void> {
    if (instances.length === 0) return;
    for (const i of instances) this.instances.delete(i.id);
    try {
      await this.ec2.terminate(instances.map((i) => i.id));
    } catch (err) {
      this.lastError = toErrorBody(err).message;
    }
    // a revoked token expels its node, so a terminated instance's worker cannot linger
    if (revoke) await Promise.all(instances.map((i) => this.host?.revokeToken(i.tokenId).catch(() => false)));
  }

  /** hands waiting jobs to free slots of our nodes, oldest first; jobs past their deadline time out */
  private pump(): void {
    if (this.pumpTimer !== null) { clearTimeout(this.pumpTimer); this.pumpTimer = null; }
    if (this.host === null || this.closed) return;
    const now = Date.now();
    const filter = { labelPrefix: this.labelPrefix };
    const still: Waiting[] = [];
    let full = false;
    for (const w of this.waiting) {
      if (w.req.deadline <= now) {
        w.settle(failure('TIMEOUT', `no ${this.name} instance was free before the job's deadline`));
        continue;
      }
      if (full) { still.push(w); continue; }
      this.inFlight++;
      const sent = this.host.pool.runOne('node', w.req, filter, (outcome) => {
        this.inFlight--;
        w.settle(outcome);
        if (this.waiting.length > 0) this.pump();
      });
      if (!sent) {
        this.inFlight--;
        full = true;
        still.push(w);
      }
    }
    this.waiting = still;
    // no event says "a node of ours joined or freed a slot" here: look again shortly while jobs wait
    if (this.waiting.length > 0) {
      this.pumpTimer = setTimeout(() => this.pump(), 25);
      this.pumpTimer.unref();
    }
  }

  private async refreshPrice(): Promise<void> {
    try {
      const usd = await this.ec2.spotPriceUsdPerHour(this.opts.instanceType);
      if (usd !== null) this.usdPerInstanceHour = usd;
    } catch (err) {
      this.lastError = `DescribeSpotPriceHistory: ${toErrorBody(err).message}`;
    }
  }
}

function failure(code: ErrorCode, message: string): ExecOutcome {
  return { ok: false, retryable: true, exec_time_ms: 0, error: { code, message } };
}
