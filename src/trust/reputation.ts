/**
 * What the dispatcher has learnt about one node in this session, and how
 * often its results must be checked (docs/trust.md).
 *
 * States:
 *   probation ──(probationChecks results confirmed by an independent check)──► trusted
 *   probation | trusted ──(one result shown wrong, or a malformed result)──► banned (final)
 *
 * On probation every result is checked. A trusted node's results are
 * spot-checked at a rate that starts at `trustedRate` and falls as its record
 * of results grows (rate = trustedRate · halfLife / (halfLife + n), never
 * below `minRate`); any error (a failed job, a late answer) puts it back to
 * `alarmRate` for the next `alarmJobs` results. One proven lie is enough to
 * ban: honest nodes run deterministic kernels and never disagree.
 */
export type ReputationState = 'probation' | 'trusted' | 'banned';

export interface ReputationPolicy {
  /** confirmed results a node needs before it is trusted */
  probationChecks: number;
  /** spot-check rate right after a node becomes trusted */
  trustedRate: number;
  /** results after which the rate has halved */
  halfLife: number;
  /** the rate never falls below this */
  minRate: number;
  /** rate after an error */
  alarmRate: number;
  /** how many results the alarm rate lasts */
  alarmJobs: number;
}

export const DEFAULT_REPUTATION_POLICY: ReputationPolicy = Object.freeze({
  probationChecks: 10,
  trustedRate: 0.05,
  halfLife: 40,
  minRate: 0.02,
  alarmRate: 0.5,
  alarmJobs: 20,
});

export interface ReputationView {
  state: ReputationState;
  /** results confirmed by an independent execution (or a canary's known answer) */
  verified: number;
  /** results accepted without a check (trusted nodes only) */
  unchecked: number;
  /** failed or late answers */
  errors: number;
  /** results shown wrong or malformed */
  wrong: number;
  /** current chance that one of its results is checked */
  check_rate: number;
}

export class NodeReputation {
  private stateNow: ReputationState = 'probation';
  private verified = 0;
  private unchecked = 0;
  private sinceTrusted = 0;
  private errors = 0;
  private wrong = 0;
  private alarmLeft = 0;

  constructor(private readonly policy: ReputationPolicy = DEFAULT_REPUTATION_POLICY, private readonly random: () => number = Math.random) {}

  get state(): ReputationState {
    return this.stateNow;
  }

  get trusted(): boolean {
    return this.stateNow === 'trusted';
  }

  /** A number for ranking nodes: results confirmed, less a penalty for errors. */
  get score(): number {
    return this.stateNow === 'banned' ? -1 : Math.max(0, this.verified - this.errors);
  }

  /** The chance that the next result is checked: 1 on probation. */
  checkRate(): number {
    if (this.stateNow !== 'trusted') return 1;
    const p = this.policy;
    const falling = Math.max(p.minRate, p.trustedRate * p.halfLife / (p.halfLife + this.sinceTrusted));
    return this.alarmLeft > 0 ? Math.max(falling, p.alarmRate) : falling;
  }

  /** Whether the result about to be accepted must be checked first. */
  mustCheck(): boolean {
    const rate = this.checkRate();
    return rate >= 1 || this.random() < rate;
  }

  /** A result of this node agreed with an independent execution. */
  confirmed(): void {
    if (this.stateNow === 'banned') return;
    this.verified++;
    this.countResult();
    if (this.stateNow === 'probation' && this.verified >= this.policy.probationChecks) this.stateNow = 'trusted';
  }

  /** A result of this node was accepted without a check (it is trusted). */
  acceptedUnchecked(): void {
    this.assertState('trusted', 'accept an unchecked result');
    this.unchecked++;
    this.countResult();
  }

  /** A failed job or a late answer: not a lie, but a reason to look closer for a while. */
  erred(): void {
    this.errors++;
    this.alarmLeft = this.policy.alarmJobs;
  }

  /** A result shown wrong, or one that does not fit its program. */
  caughtLying(): void {
    this.wrong++;
    this.stateNow = 'banned';
  }

  view(): ReputationView {
    return {
      state: this.stateNow, verified: this.verified, unchecked: this.unchecked, errors: this.errors,
      wrong: this.wrong, check_rate: Math.round(this.checkRate() * 1e4) / 1e4,
    };
  }

  private countResult(): void {
    if (this.stateNow === 'trusted') this.sinceTrusted++;
    if (this.alarmLeft > 0) this.alarmLeft--;
  }

  private assertState(expected: ReputationState, action: string): void {
    if (this.stateNow !== expected) throw new Error(`reputation: cannot ${action} in state ${this.stateNow}`);
  }
}
