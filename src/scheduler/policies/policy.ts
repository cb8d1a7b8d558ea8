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
  /**
   * The longest expected completion (ms from now) a job may commit to on this substrate, deadline
   * aside: a substrate that queues jobs internally keeps them once handed over, so a policy may keep
   * that queue short and hold the rest where they can still go elsewhere. Absent: no limit.
   */
  commitLimitMs?(sub: SubstrateState, job: JobSpec): number;
  /** jobs like this one the substrate finishes per second when busy (its lanes ÷ expected run); used to pool queues */
  drainRate?(sub: SubstrateState, job: JobSpec): number;
  /** how long the job would wait there for a lane behind `queued` more jobs than are in flight (ms); with drainRate, how many jobs are ahead */
  expectedWaitMs?(sub: SubstrateState, job: JobSpec, queued: number): number;
  /**
   * Slack-based holding, for a deadline-aware policy: whether a job with `msLeft` until its deadline
   * may keep waiting for a cheaper substrate (whose queue makes it late right now) when the substrate
   * it would pay for is expected to finish it in `paidCompletionMs` — i.e. whether it can still go
   * there at a later round and make its deadline. Absent: never hold.
   */
  canWaitFor?(job: JobSpec, msLeft: number, paidCompletionMs: number): boolean;
  /**
   * A one-off cost (USD) of starting capacity for this job there, beyond what its run costs: a
   * substrate billing whole instances from launch to idle termination, with none up now. The registry
   * shares it among the jobs expected to need that substrate (see addLaunchShares). `sent`: jobs the
   * current placement call already handed to it (waiting for it does not start anything). Absent or 0: none.
   */
  launchUsd?(sub: SubstrateState, job: JobSpec, sent: number): number;
  /**
   * Slots there that are already paid for and idle: instances up (billed whether used or not) with no job
   * on them, beyond the `queued` jobs this call already sent there or left waiting. A job that would
   * otherwise wait for a cheaper substrate uses them now. Absent or 0: none.
   */
  warmSlots?(sub: SubstrateState, queued: number): number;
  /** called by a queue-aware placement with the substrates it sees, before it scores any job */
  beginPlacement?(states: readonly SubstrateState[]): void;
}
