import type { JobSpec } from '../../job/types.js';
import type { SubstrateState } from '../substrate-state.js';

/**
 * A scoring policy: lower is better. It only scores substrates the filters
 * already found eligible, so it need not check constraints. A new policy is
 * one file implementing this, plus its name in `policyByName`.
 */
export interface Policy {
  readonly name: string;
  /**
   * `queued`: jobs the current placement call already gave this substrate
   * or left waiting for it, on top of `sub.inFlight` (only queue-aware
   * policies are told; others get 0).
   */
  score(sub: SubstrateState, job: JobSpec, queued?: number): number;
  /**
   * A queue-aware policy also scores substrates whose slots are full: when
   * waiting for one scores best, the job waits (stays queued) instead of
   * spilling to the next substrate with a free slot.
   */
  readonly queueAware?: boolean;
  /**
   * A deadline-aware policy says when the job would finish there (ms from
   * now); where that is past (or close to) the job's deadline (created_at +
   * timeout_s, so the time it already waited counts), the registry adds
   * `latePenalty` × (1 + seconds late) to the score.
   */
  expectedCompletionMs?(sub: SubstrateState, job: JobSpec, queued: number): number;
  readonly latePenalty?: number;
  /** called by a queue-aware placement with the substrates it sees, before it scores any job */
  beginPlacement?(states: readonly SubstrateState[]): void;
}
