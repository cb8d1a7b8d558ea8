import { createHash, timingSafeEqual } from 'node:crypto';
import { deriveJoinKey, looksLikeJoinToken, mintJoinToken, newTokenId, verifyJoinToken, type JoinClaims } from './join-tokens.js';
import type { BanRecord, NodeLedger, TokenRecord } from './node-ledger.js';
import { joinTokenRequest, type JoinTokenRequest } from '../schema/join-token-schema.js';

/**
 * Who may join the pool (docs/trust.md, "Admission"). A registering node
 * presents nothing, the shared node token, or a join token:
 *
 *   banned node id ─────────────────────────────► refused
 *   join token: good signature, not expired, not revoked, kind fits ─► admitted as jt-<id>
 *   the shared node token ───────────────────────► admitted
 *   nothing ── credentials required? ── yes ─────► refused (4001)
 *                                      └─ no ────► admitted anonymously
 *
 * Credentials are required whenever the API has a token or a node token is
 * set, unless the operator opens the pool to anonymous volunteers
 * (`--open-volunteers`); the loopback development default (no tokens) admits
 * everyone, as a local experiment expects.
 */
export interface NodeAccessOptions {
  ledger: NodeLedger;
  /** secret the join-token key is derived from; every dispatcher of a deployment must share it */
  joinSecret: string;
  nodeToken?: string;
  requireCredential: boolean;
  now?: () => number;
}

/** The body of POST /v1/nodes/tokens: {ttl_s?, kind?, label?} (schema/join-token-schema.ts). */
export type MintRequest = JoinTokenRequest;

export interface MintedToken extends TokenRecord {
  /** the token itself: shown once, never stored */
  token: string;
}

export type Admission =
  | { admitted: true; credential: { type: 'open' | 'shared' | 'join'; id?: string; label?: string } }
  | { admitted: false; reason: string };


export class NodeAccess {
  readonly requireCredential: boolean;
  private readonly ledger: NodeLedger;
  private readonly key: Buffer;
  private readonly nodeTokenDigest: Buffer | null;
  private readonly now: () => number;

  constructor(opts: NodeAccessOptions) {
    this.ledger = opts.ledger;
    this.key = deriveJoinKey(opts.joinSecret);
    this.nodeTokenDigest = opts.nodeToken === undefined ? null : digest(opts.nodeToken);
    this.requireCredential = opts.requireCredential;
    this.now = opts.now ?? Date.now;
  }

  admit(register: { kind: 'browser' | 'node'; token?: string; node_id?: string }): Admission {
    if (register.node_id !== undefined && this.ledger.isBanned(register.node_id)) return { admitted: false, reason: 'this node is banned' };
    const token = register.token;
    if (token !== undefined && looksLikeJoinToken(token)) {
      const checked = verifyJoinToken(this.key, token, Math.floor(this.now() / 1000));
      if ('error' in checked) return { admitted: false, reason: checked.error };
      const claims = checked.claims;
      if (this.ledger.isRevoked(claims.id)) return { admitted: false, reason: 'join token revoked' };
      if (this.ledger.isBanned(`jt-${claims.id}`)) return { admitted: false, reason: 'this node is banned' };
      if (claims.kind !== undefined && claims.kind !== register.kind) return { admitted: false, reason: `this join token is for ${claims.kind} nodes` };
      return { admitted: true, credential: { type: 'join', id: claims.id, ...(claims.label === undefined ? {} : { label: claims.label }) } };
    }
    if (token !== undefined) {
      if (this.nodeTokenDigest !== null && timingSafeEqual(digest(token), this.nodeTokenDigest)) return { admitted: true, credential: { type: 'shared' } };
      return { admitted: false, reason: 'invalid node token' };
    }
    if (this.requireCredential) return { admitted: false, reason: 'this dispatcher requires a node token or a join token' };
    return { admitted: true, credential: { type: 'open' } };
  }

  /** Whether a node admitted earlier with this credential would still be (after a revocation or ban elsewhere). */
  stillAdmitted(nodeId: string, credential: { type: string; id?: string }): boolean {
    if (this.ledger.isBanned(nodeId)) return false;
    return !(credential.type === 'join' && credential.id !== undefined && this.ledger.isRevoked(credential.id));
  }

  async mint(req: MintRequest): Promise<MintedToken> {
    if (!joinTokenRequest.check(req)) throw joinTokenRequest.fail(req);
    const nowS = Math.floor(this.now() / 1000);
    const claims: JoinClaims = { id: newTokenId(), iat: nowS };
    if (req.kind !== undefined) claims.kind = req.kind;
    if (req.label !== undefined) claims.label = req.label;
    if (req.ttl_s !== undefined) claims.exp = nowS + req.ttl_s;
    const record: TokenRecord = {
      id: claims.id, kind: req.kind ?? null, label: req.label ?? null,
      created_at: new Date(nowS * 1000).toISOString(),
      expires_at: claims.exp === undefined ? null : new Date(claims.exp * 1000).toISOString(),
      revoked_at: null,
    };
    await this.ledger.addToken(record);
    return { ...record, token: mintJoinToken(this.key, claims) };
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.ledger.listTokens();
  }

  revokeToken(id: string): Promise<boolean> {
    return this.ledger.revokeToken(id);
  }

  ban(record: BanRecord): Promise<void> {
    return this.ledger.ban(record);
  }

  listBans(): Promise<BanRecord[]> {
    return this.ledger.listBans();
  }

  refresh(): Promise<void> {
    return this.ledger.refresh();
  }

  close(): Promise<void> {
    return this.ledger.close();
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
