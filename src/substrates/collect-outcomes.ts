import type { ExecOutcome } from './substrate.js';

/**
 * A batch's outcomes in request order, once every job has settled. `start`
 * hands the jobs out (to a queue, to nodes) with `settle`, which must be
 * called exactly once per index; the promise resolves with the last one.
 * The one place substrates that settle jobs one by one gather a batch.
 */
export function collectOutcomes(count: number, start: (settle: (index: number, outcome: ExecOutcome) => void) => void): Promise<ExecOutcome[]> {
  if (count === 0) return Promise.resolve([]);
  return new Promise((resolve) => {
    const outcomes = new Array<ExecOutcome>(count);
    let left = count;
    start((index, outcome) => {
      outcomes[index] = outcome;
      if (--left === 0) resolve(outcomes);
    });
  });
}
