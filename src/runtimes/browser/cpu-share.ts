/**
 * How much of a volunteer's machine the runtime takes. `cpuShare` (0 < s ≤ 1)
 * of the logical cores, rounded up so any share runs at least one worker,
 * and never more than `maxWorkers`: a browser tab that starts dozens of
 * workers makes the device sluggish long before it adds throughput.
 */
export const DEFAULT_MAX_WORKERS = 8;
/** Jobs each worker holds at once: more than it reads at once (fetchConcurrencyPerWorker), so a window is always queued behind the running reads and the dispatcher round trip that refills a slot is hidden. */
export const DEFAULT_SLOTS_PER_WORKER = 8;

export function workerCount(cores: number, cpuShare = 1, maxWorkers = DEFAULT_MAX_WORKERS): number {
  if (!(cpuShare > 0 && cpuShare <= 1)) throw new RangeError('cpuShare must be a number in (0, 1]');
  if (!(Number.isInteger(maxWorkers) && maxWorkers >= 1)) throw new RangeError('maxWorkers must be an integer >= 1');
  return Math.max(1, Math.min(maxWorkers, Math.ceil(cores * cpuShare)));
}
