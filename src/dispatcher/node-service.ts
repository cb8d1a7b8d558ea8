import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PacketFSError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobStore } from '../store/job-store.js';
import { metricOf } from '../store/terminal-records.js';
import { NodePool, type NodePoolOptions, type NodeView } from '../substrates/node-pool/node-pool.js';
import { NodeVerifier, type VerificationStats } from '../substrates/node-pool/node-verifier.js';
import type { Substrate } from '../substrates/substrate.js';
import { createBrowserSubstrate } from '../substrates/browser/browser-substrate.js';
import { createVolunteerSubstrate } from '../substrates/volunteer/volunteer-substrate.js';
import { NodeAccess, type MintedToken, type MintRequest } from '../trust/node-access.js';
import { FileNodeLedger, type BanRecord, type NodeLedger, type TokenRecord } from '../trust/node-ledger.js';
import type { ReputationPolicy } from '../trust/reputation.js';
import { DEFAULT_REPUTATION_POLICY } from '../trust/reputation.js';
import { correctedRecord } from '../store/result-records.js';

/**
 * Everything about volunteer nodes a dispatcher runs: the pool they connect
 * to, who may join (NodeAccess over a ledger of tokens and bans shared
 * through Redis or kept in the data dir), the verifier their results pass
 * through, and the operator's views and actions (list, ban, tokens).
 */
export interface NodeServiceOptions {
  store: JobStore;
  dataDir: string;
  /** the trusted substrate that checks node results (the local pool), looked up when needed; null: quorum among nodes */
  arbiter: () => Substrate | null;
  logger: Logger;
  redisUrl?: string;
  nodeToken?: string;
  /** nodes must present a credential (the API has a token, or the operator said so) */
  requireCredential: boolean;
  /** key material for join tokens shared by the deployment's dispatchers; default: a key file in the data dir */
  joinSecret?: string;
  allowUnverified?: boolean;
  canaryRate?: number;
  reputation?: Partial<ReputationPolicy>;
  pool?: Omit<NodePoolOptions, 'admit' | 'onCapacity' | 'onNodeLeft' | 'logger' | 'reputation'>;
  onCapacity: () => void;
  /** how often revocations and bans written elsewhere are picked up; default 1000 */
  refreshMs?: number;
}

export class NodeService {
  readonly pool: NodePool;
  readonly verifier: NodeVerifier;
  readonly substrates: Substrate[];
  private readonly access: NodeAccess;
  private readonly timer: NodeJS.Timeout;
  private readonly logger: Logger;

  private constructor(access: NodeAccess, opts: NodeServiceOptions) {
    this.access = access;
    this.logger = opts.logger;
    this.pool = new NodePool({
      ...opts.pool,
      logger: opts.logger,
      onCapacity: opts.onCapacity,
      reputation: { ...DEFAULT_REPUTATION_POLICY, ...opts.reputation },
      admit: (register) => access.admit(register),
      // A node that left can no longer be convicted: its journal of unchecked results goes with it.
      onNodeLeft: (node) => this.verifier.forget(node.id),
    });
    const store = opts.store;
    this.verifier = new NodeVerifier({
      pool: this.pool,
      arbiter: opts.arbiter,
      logger: opts.logger,
      allowUnverified: opts.allowUnverified ?? false,
      ...(opts.canaryRate === undefined ? {} : { canaryRate: opts.canaryRate }),
      readResult: (id) => store.getResult(id),
      amend: async (corrections) => {
        const now = Date.now();
        const items = [];
        for (const c of corrections) {
          const stored = await store.getResult(c.jobId);
          if (stored === null || stored.status !== 'succeeded') continue;
          const result = correctedRecord(stored, { result: c.result, bytesProcessed: c.bytesProcessed }, now);
          items.push({ result, metric: metricOf(result) });
        }
        await store.amend(items);
      },
      onConvicted: (node, reason) => {
        const record: BanRecord = {
          node_id: node.id, token_id: node.credential.type === 'join' ? node.credential.id ?? null : null,
          address: node.address, reason, at: new Date().toISOString(),
        };
        void access.ban(record).catch((err: unknown) => this.logger.error({ event: 'ban_not_recorded', node: node.id, err: String(err) }, 'could not record a ban'));
      },
    });
    this.substrates = [createBrowserSubstrate(this.pool, this.verifier), createVolunteerSubstrate(this.pool, this.verifier)];
    this.timer = setInterval(() => void this.sync(), opts.refreshMs ?? 1000);
    this.timer.unref();
  }

  static async create(opts: NodeServiceOptions): Promise<NodeService> {
    const ledger: NodeLedger = opts.redisUrl !== undefined
      ? await (await import('../trust/redis-node-ledger.js')).RedisNodeLedger.connect(opts.redisUrl, opts.logger)
      : await FileNodeLedger.open(join(opts.dataDir, 'nodes.json'));
    const access = new NodeAccess({
      ledger,
      joinSecret: opts.joinSecret ?? await keyFile(join(opts.dataDir, 'node-join.key')),
      requireCredential: opts.requireCredential,
      ...(opts.nodeToken === undefined ? {} : { nodeToken: opts.nodeToken }),
    });
    return new NodeService(access, opts);
  }

  get requireCredential(): boolean {
    return this.access.requireCredential;
  }

  listNodes(): NodeView[] {
    return this.pool.views();
  }

  /** Bans a node by id: its connection is closed, and its id (and join token) refused from now on, by every dispatcher sharing the ledger. */
  async banNode(nodeId: string, reason = 'banned by the operator'): Promise<'banned' | 'not_found'> {
    const node = this.pool.node(nodeId);
    if (node === undefined) {
      const known = (await this.access.listBans()).some((b) => b.node_id === nodeId);
      return known ? 'banned' : 'not_found';
    }
    node.reputation.caughtLying();
    await this.access.ban({
      node_id: node.id, token_id: node.credential.type === 'join' ? node.credential.id ?? null : null,
      address: node.address, reason, at: new Date().toISOString(),
    });
    this.pool.expel(node.id, reason);
    return 'banned';
  }

  listBans(): Promise<BanRecord[]> {
    return this.access.listBans();
  }

  mintToken(req: MintRequest): Promise<MintedToken> {
    return this.access.mint(req);
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.access.listTokens();
  }

  /** Revokes a join token; nodes connected with it are closed within a refresh. */
  async revokeToken(id: string): Promise<boolean> {
    if (!/^[0-9a-f]{16}$/.test(id)) throw new PacketFSError('INVALID_REQUEST', 'a join token id is 16 hex digits', { path: 'id' });
    const revoked = await this.access.revokeToken(id);
    if (revoked) this.pool.expelWhere((n) => this.access.stillAdmitted(n.id, n.credential), 'join token revoked');
    return revoked;
  }

  verificationStats(): VerificationStats {
    return this.verifier.stats();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.pool.close();
    await this.access.close();
  }

  /** Picks up revocations and bans other dispatchers wrote, and closes the nodes they concern. */
  private async sync(): Promise<void> {
    try {
      await this.access.refresh();
      this.pool.expelWhere((n) => this.access.stillAdmitted(n.id, n.credential), 'credential revoked or node banned');
    } catch (err) {
      this.logger.warn({ event: 'node_ledger_refresh_failed', err: String(err) }, 'could not refresh revocations and bans');
    }
  }
}

/**
 * The join-token key of a dispatcher with no shared secret: random, made
 * once, kept in the data dir (mode 0600) so tokens outlive restarts.
 */
async function keyFile(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32).toString('base64url');
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, key, { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  await chmod(path, 0o600);
  return (await readFile(path, 'utf8')).trim();
}
