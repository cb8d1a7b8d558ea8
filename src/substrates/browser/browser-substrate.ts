import type { NodePool } from '../node-pool/node-pool.js';
import type { NodeVerifier } from '../node-pool/node-verifier.js';
import { PoolSubstrate } from '../node-pool/pool-substrate.js';

/** `browser`: volunteer browser tabs connected over /v1/nodes/ws (kind "browser"). */
export function createBrowserSubstrate(pool: NodePool, verifier: NodeVerifier): PoolSubstrate {
  return new PoolSubstrate(pool, verifier, { name: 'browser', type: 'browser', kind: 'browser', latencyMs: 200 });
}
