import type { JobSpec } from '../job/types.js';
import type { SubstrateState } from './substrate-state.js';

/**
 * A check the registry makes before it places a job on a substrate, apart
 * from the policies (which only rank): the budget gate (src/budget/) is one.
 * admits() is asked in ranking order, only for substrates with a free slot;
 * the first that admits gets the job and placed() is told.
 */
export interface PlacementGate {
  admits(job: JobSpec, state: SubstrateState): boolean;
  placed(job: JobSpec, state: SubstrateState): void;
}
