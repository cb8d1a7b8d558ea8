import type { Redis } from 'ioredis';
import { openRedis } from '../store/redis/redis-connection.js';
import type { Logger } from '../logger.js';
import { MAX_BANS, MAX_TOKENS, type BanRecord, type NodeLedger, type TokenRecord } from './node-ledger.js';

/**
 * The node ledger in Redis, shared by every dispatcher on it, so a token
 * revoked or a node banned through one is refused by all of them (each
 * refreshes its copy every second). Keys share one hash tag:
 *   <prefix>:{nodes}:tokens   HASH token id → TokenRecord JSON
 *   <prefix>:{nodes}:revoked  SET token ids
 *   <prefix>:{nodes}:bans     HASH node id → BanRecord JSON
 */
export class RedisNodeLedger implements NodeLedger {
  private revoked = new Set<string>();
  private banned = new Set<string>();

  private constructor(private readonly redis: Redis, private readonly prefix: string) {}

  static async connect(url: string, logger: Logger, prefix = 'packetfs'): Promise<RedisNodeLedger> {
    const ledger = new RedisNodeLedger(await openRedis(url, {}, logger), prefix);
    await ledger.refresh();
    return ledger;
  }

  private key(name: string): string {
    return `${this.prefix}:{nodes}:${name}`;
  }

  async addToken(record: TokenRecord): Promise<void> {
    if (await this.redis.hlen(this.key('tokens')) >= MAX_TOKENS) throw new Error(`the ledger holds ${MAX_TOKENS} tokens; revoke and prune some first`);
    await this.redis.hset(this.key('tokens'), record.id, JSON.stringify(record));
  }

  async listTokens(): Promise<TokenRecord[]> {
    const all = await this.redis.hvals(this.key('tokens'));
    return all.map((t) => JSON.parse(t) as TokenRecord);
  }

  async revokeToken(id: string): Promise<boolean> {
    const text = await this.redis.hget(this.key('tokens'), id);
    if (text === null) return false;
    const record = JSON.parse(text) as TokenRecord;
    record.revoked_at ??= new Date().toISOString();
    await this.redis.multi().hset(this.key('tokens'), id, JSON.stringify(record)).sadd(this.key('revoked'), id).exec();
    this.revoked.add(id);
    return true;
  }

  async ban(record: BanRecord): Promise<void> {
    const multi = this.redis.multi().hset(this.key('bans'), record.node_id, JSON.stringify(record));
    if (record.token_id !== null) multi.sadd(this.key('revoked'), record.token_id);
    await multi.exec();
    this.banned.add(record.node_id);
    if (record.token_id !== null) this.revoked.add(record.token_id);
  }

  async listBans(): Promise<BanRecord[]> {
    const all = await this.redis.hvals(this.key('bans'));
    return all.slice(0, MAX_BANS).map((b) => JSON.parse(b) as BanRecord);
  }

  isRevoked(tokenId: string): boolean {
    return this.revoked.has(tokenId);
  }

  isBanned(nodeId: string): boolean {
    return this.banned.has(nodeId);
  }

  async refresh(): Promise<void> {
    const [revoked, banned] = await Promise.all([this.redis.smembers(this.key('revoked')), this.redis.hkeys(this.key('bans'))]);
    this.revoked = new Set(revoked);
    this.banned = new Set(banned);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
