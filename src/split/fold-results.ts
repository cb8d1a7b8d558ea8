import { PacketFSError } from '../errors.js';
import { combineResults } from '../ops/combine-results.js';
import type { OpResult } from '../ops/types.js';

/**
 * Folds the per-window results of a split job, in window order, into what
 * one pass over the whole range gives: counts and sums add, xor folds,
 * crc32c combines (crc32cCombine). fnv64 cannot be combined; its windows ran
 * one after another, each starting from the previous window's state, so the
 * last window's value already is the hash of the whole range.
 *
 * `windows[i]` is window i's result in the program's shape: one OpResult for
 * a single-op program, else one per op.
 */
export function foldWindowResults(windows: ReadonlyArray<OpResult | OpResult[]>, single: boolean): OpResult | OpResult[] {
  if (windows.length === 0) throw new PacketFSError('INTERNAL', 'a split job has at least one window');
  const perWindow = windows.map((w) => (Array.isArray(w) ? w : [w]));
  const opCount = perWindow[0]!.length;
  const folded: OpResult[] = new Array(opCount);
  for (let op = 0; op < opCount; op++) {
    let acc = resultAt(perWindow[0]!, op, 0);
    for (let w = 1; w < perWindow.length; w++) {
      const next = resultAt(perWindow[w]!, op, w);
      acc = 'fnv64' in acc && 'fnv64' in next
        ? { fnv64: next.fnv64, bytes: acc.bytes + next.bytes }
        : combineResults(acc, next);
    }
    folded[op] = acc;
  }
  return single ? folded[0]! : folded;
}

function resultAt(results: OpResult[], op: number, window: number): OpResult {
  const r = results[op];
  if (r === undefined) throw new PacketFSError('INTERNAL', `window ${window} returned ${results.length} results, expected at least ${op + 1}`);
  return r;
}

/** The fnv64 state after a window, for the next window's fnv_state; undefined when the program has no fnv64. */
export function fnvStateAfter(result: OpResult | OpResult[]): string | undefined {
  for (const r of Array.isArray(result) ? result : [result]) if ('fnv64' in r) return r.fnv64;
  return undefined;
}
