import type { SpendSums, SpendTotals } from './job-store.js';

/**
 * The periods spend is totalled by: the UTC day and the UTC month. Budgets
 * (daily_usd, monthly_usd) are per such period, so a day's budget renews at
 * 00:00 UTC whichever dispatcher looks.
 */
export function spendPeriods(at: number): { day: string; month: string } {
  const iso = new Date(at).toISOString();
  return { day: iso.slice(0, 10), month: iso.slice(0, 7) };
}

/** Period keys as the stores file them: `d:YYYY-MM-DD` and `m:YYYY-MM`. */
export function spendKeys(at: number): { day: string; month: string } {
  const { day, month } = spendPeriods(at);
  return { day: `d:${day}`, month: `m:${month}` };
}

/** Sums of (substrate, usd) pairs; substrates with nothing spent are left out. */
export function spendSums(pairs: Iterable<readonly [string, number]>): SpendSums {
  const by_substrate: Record<string, number> = {};
  let total = 0;
  for (const [substrate, usd] of pairs) {
    if (!(usd > 0)) continue;
    by_substrate[substrate] = (by_substrate[substrate] ?? 0) + usd;
    total += usd;
  }
  return { total, by_substrate };
}

export function spendTotalsOf(at: number, day: Iterable<readonly [string, number]>, month: Iterable<readonly [string, number]>): SpendTotals {
  const periods = spendPeriods(at);
  return { day: periods.day, month: periods.month, spent_day: spendSums(day), spent_month: spendSums(month) };
}

/** Spend items summed per (period key, substrate), so a store writes each total once per call. */
export function spendIncrements(items: ReadonlyArray<{ substrate: string; usd: number; at: number }>): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const item of items) {
    if (!(Number.isFinite(item.usd) && item.usd > 0)) continue;
    const keys = spendKeys(item.at);
    for (const key of [keys.day, keys.month]) {
      let row = out.get(key);
      if (row === undefined) {
        row = new Map();
        out.set(key, row);
      }
      row.set(item.substrate, (row.get(item.substrate) ?? 0) + item.usd);
    }
  }
  return out;
}
