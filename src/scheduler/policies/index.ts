import { PacketFSError } from '../../errors.js';
import { POLICIES } from '../../schema/config-schema.js';
import { classicPolicy } from './classic.js';
import { costLatencyPolicy, type CostLatencyOptions } from './cost-latency.js';
import type { Policy } from './policy.js';
import { queueAwarePolicy } from './queue-aware.js';

export type { Policy } from './policy.js';
export { classicPolicy } from './classic.js';
export { costLatencyPolicy, DEFAULT_VALUE_OF_TIME_USD_PER_S, type CostLatencyOptions } from './cost-latency.js';
export { queueAwarePolicy, QUEUE_AWARE_VALUE_OF_TIME_USD_PER_S, type QueueAwareOptions } from './queue-aware.js';

/** the names a config file or flag may give (the config schema holds the list) */
export const POLICY_NAMES = POLICIES;
/** the policy `serve` uses unless told otherwise */
export const DEFAULT_POLICY: PolicyName = 'queue-aware';
export type PolicyName = (typeof POLICY_NAMES)[number];

/** The policy a config or CLI flag names; the name is checked at run time because it comes from users. */
export function policyByName(name: string, opts: CostLatencyOptions = {}): Policy {
  switch (name) {
    case 'queue-aware': return queueAwarePolicy(opts);
    case 'cost-latency': return costLatencyPolicy(opts);
    case 'classic': return classicPolicy;
    default:
      throw new PacketFSError('INVALID_REQUEST', `unknown scheduling policy "${name}"; known policies: ${POLICY_NAMES.join(', ')}`, { path: 'policy' });
  }
}
