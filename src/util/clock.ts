/**
 * Time as the scheduler and the dispatch loop see it: the current epoch ms
 * and timers. Production uses `realClock` (Date.now and Node's timers); the
 * simulator (src/sim/) passes a virtual clock so the same code runs hours of
 * simulated traffic in seconds, deterministically.
 *
 * A timer handle is opaque: only the clock that made it may cancel it.
 */
export interface TimerHandle {
  /** the process may exit while this timer is pending (real timers only; virtual ones ignore it) */
  unref(): unknown;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | undefined): void;
}

export const realClock: Clock = {
  now: Date.now,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout | undefined),
};
