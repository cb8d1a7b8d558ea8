import type { NodePool } from '../node-pool/node-pool.js';
import type { NodeVerifier } from '../node-pool/node-verifier.js';
import { PoolSubstrate } from '../node-pool/pool-substrate.js';

/** `volunteer`: `packetfs worker` processes connected over /v1/nodes/ws (kind "node"). */
export function createVolunteerSubstrate(pool: NodePool, verifier: NodeVerifier): PoolSubstrate {
  return new PoolSubstrate(pool, verifier, { name: 'volunteer', type: 'volunteer', kind: 'node', latencyMs: 100 });
}
