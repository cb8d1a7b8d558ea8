import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The shared facts about node credentials: which join tokens exist (for the
 * operator's list; the token strings themselves are never kept), which are
 * revoked, and which nodes are banned. Checks are synchronous against an
 * in-memory copy, because they run on every register; `refresh()` pulls
 * what other dispatchers wrote (Redis) and the owner calls it on a timer.
 *
 * FileNodeLedger keeps it in `<data-dir>/nodes.json` (one dispatcher);
 * RedisNodeLedger (redis-node-ledger.ts) in Redis, for dispatchers sharing one.
 */
export interface TokenRecord {
  id: string;
  kind: 'browser' | 'node' | null;
  label: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface BanRecord {
  node_id: string;
  /** the join token the node used, revoked with the ban; null for other credentials */
  token_id: string | null;
  address: string;
  reason: string;
  at: string;
}

export interface NodeLedger {
  addToken(record: TokenRecord): Promise<void>;
  listTokens(): Promise<TokenRecord[]>;
  /** false when no such token exists */
  revokeToken(id: string): Promise<boolean>;
  ban(record: BanRecord): Promise<void>;
  listBans(): Promise<BanRecord[]>;
  isRevoked(tokenId: string): boolean;
  isBanned(nodeId: string): boolean;
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/** Bounds, so a flood of bans or tokens cannot grow the ledger without limit (oldest go first). */
export const MAX_TOKENS = 100_000;
export const MAX_BANS = 100_000;

interface LedgerFile {
  tokens: TokenRecord[];
  bans: BanRecord[];
}

export class FileNodeLedger implements NodeLedger {
  private tokens = new Map<string, TokenRecord>();
  private bans = new Map<string, BanRecord>();
  private revoked = new Set<string>();
  private writing: Promise<void> = Promise.resolve();
  /** once closed, nothing more is written: the dispatcher's folder may be going away (a substrate closing after the node service can still mint a token) */
  private closed = false;

  private constructor(private readonly path: string | null) {}

  /** `path` null keeps everything in memory (an embedded dispatcher without a data dir of its own). */
  static async open(path: string | null): Promise<FileNodeLedger> {
    const ledger = new FileNodeLedger(path);
    if (path !== null) {
      let text: string | null = null;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if (text !== null) ledger.load(JSON.parse(text) as LedgerFile);
    }
    return ledger;
  }

  async addToken(record: TokenRecord): Promise<void> {
    this.tokens.set(record.id, record);
    trim(this.tokens, MAX_TOKENS);
    await this.save();
  }

  async listTokens(): Promise<TokenRecord[]> {
    return [...this.tokens.values()];
  }

  async revokeToken(id: string): Promise<boolean> {
    const record = this.tokens.get(id);
    if (record === undefined) return false;
    if (record.revoked_at === null) record.revoked_at = new Date().toISOString();
    this.revoked.add(id);
    await this.save();
    return true;
  }

  async ban(record: BanRecord): Promise<void> {
    this.bans.set(record.node_id, record);
    trim(this.bans, MAX_BANS);
    if (record.token_id !== null) {
      this.revoked.add(record.token_id);
      const token = this.tokens.get(record.token_id);
      if (token !== undefined && token.revoked_at === null) token.revoked_at = record.at;
    }
    await this.save();
  }

  async listBans(): Promise<BanRecord[]> {
    return [...this.bans.values()];
  }

  isRevoked(tokenId: string): boolean {
    return this.revoked.has(tokenId);
  }

  isBanned(nodeId: string): boolean {
    return this.bans.has(nodeId);
  }

  async refresh(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
  }

  private load(file: LedgerFile): void {
    for (const t of file.tokens ?? []) {
      this.tokens.set(t.id, t);
      if (t.revoked_at !== null) this.revoked.add(t.id);
    }
    for (const b of file.bans ?? []) {
      this.bans.set(b.node_id, b);
      if (b.token_id !== null) this.revoked.add(b.token_id);
    }
  }

  /** Writes are serialised and atomic (temp file + rename), so a crash never leaves half a file. */
  private save(): Promise<void> {
    const path = this.path;
    if (path === null || this.closed) return Promise.resolve();
    const body = JSON.stringify({ tokens: [...this.tokens.values()], bans: [...this.bans.values()] } satisfies LedgerFile);
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(`${path}.tmp`, body, { mode: 0o600 });
      await rename(`${path}.tmp`, path);
    });
    return this.writing;
  }
}

function trim<V>(map: Map<string, V>, max: number): void {
  while (map.size > max) map.delete(map.keys().next().value as string);
}
