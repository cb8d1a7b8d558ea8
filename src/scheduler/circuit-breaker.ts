import { PacketFSError } from '../errors.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * Stops sending work to a substrate that keeps failing, and tries it again later.
 *
 *   closed ──failureThreshold consecutive failures──► open
 *   open ──cooldownMs passed──► half_open             (derived from the clock, no timer)
 *   half_open ──one trial batch or a probe succeeds──► closed
 *   half_open ──the trial or a probe fails──► open    (cooldown starts again)
 *
 * In half_open exactly one batch is let through (`canDispatch` turns false
 * once `onDispatch` marks the trial out) so a still-broken substrate costs one
 * batch, not a flood. A probe can close the breaker too, which also recovers
 * a trial whose outcome never came back.
 *
 * Outcomes that arrive while open come from batches sent before it opened:
 * they neither extend the cooldown nor close the breaker early.
 */
export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;
  /** 'trial' is half_open with the trial batch out; plain half_open is 'open' past its cooldown */
  private phase: 'closed' | 'open' | 'trial' = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;

  constructor(opts: { failureThreshold?: number; cooldownMs?: number; now?: () => number } = {}) {
    this.failureThreshold = opts.failureThreshold ?? 5;
    this.cooldownMs = opts.cooldownMs ?? 5000;
    this.now = opts.now ?? Date.now;
    if (!(Number.isInteger(this.failureThreshold) && this.failureThreshold >= 1)) {
      throw new PacketFSError('INVALID_REQUEST', `breaker failureThreshold must be an integer >= 1, got ${this.failureThreshold}`, { path: 'breaker.failureThreshold' });
    }
    if (!(Number.isFinite(this.cooldownMs) && this.cooldownMs >= 0)) {
      throw new PacketFSError('INVALID_REQUEST', `breaker cooldownMs must be >= 0, got ${this.cooldownMs}`, { path: 'breaker.cooldownMs' });
    }
  }

  get state(): CircuitState {
    if (this.phase === 'closed') return 'closed';
    if (this.phase === 'trial') return 'half_open';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half_open' : 'open';
  }

  /** whether a batch may be sent now */
  canDispatch(): boolean {
    const state = this.state;
    return state === 'closed' || (state === 'half_open' && this.phase !== 'trial');
  }

  /** a batch was sent; in half_open it is the one trial */
  onDispatch(): void {
    if (this.state === 'half_open') this.phase = 'trial';
  }

  onSuccess(): void {
    if (this.state !== 'open') this.close();
  }

  onFailure(count = 1): void {
    const state = this.state;
    if (state === 'open') return;
    if (state === 'half_open') {
      this.open();
      return;
    }
    this.consecutiveFailures += count;
    if (this.consecutiveFailures >= this.failureThreshold) this.open();
  }

  /** a health probe's verdict: only matters once the cooldown is over */
  onProbe(healthy: boolean): void {
    if (this.state !== 'half_open') return;
    if (healthy) this.close();
    else this.open();
  }

  private open(): void {
    this.phase = 'open';
    this.openedAt = this.now();
  }

  private close(): void {
    this.phase = 'closed';
    this.consecutiveFailures = 0;
  }
}
