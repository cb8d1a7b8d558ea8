import type { JobSpec } from '../../job/types.js';
import type { SubstrateState } from '../substrate-state.js';

/**
 * A scoring policy: lower is better. It only scores substrates the filters
 * already found eligible, so it need not check constraints. A new policy is
 * one file implementing this, plus its name in `policyByName`.
 */
export interface Policy {
  readonly name: string;
  score(sub: SubstrateState, job: JobSpec): number;
}
