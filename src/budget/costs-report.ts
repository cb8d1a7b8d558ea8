import type { SpendSums } from '../store/job-store.js';
import type { BudgetConfig } from './budget-config.js';
import { round, type BudgetLedger } from './budget-ledger.js';

/** GET /v1/costs, `packetfs costs` (docs/costs.md). Spend is this UTC month's unless a field says otherwise. */
export interface CostsReport {
  /** the UTC day and month the figures are for */
  period: { day: string; month: string };
  spent_usd: SpendSums & { today: SpendSums };
  /** estimates of paid jobs placed and not yet finished (counted against the budget) */
  reserved_usd: number;
  budget: (BudgetConfig & { limits: LimitReport[] }) | null;
  /** this month's spend projected to the month's end at the month's average rate so far */
  forecast_usd: number;
}

export interface LimitReport {
  /** `daily`, `monthly`, `<substrate>.daily`, `<substrate>.monthly` */
  id: string;
  period: 'day' | 'month';
  substrate: string | null;
  limit_usd: number;
  spent_usd: number;
  reserved_usd: number;
  remaining_usd: number;
  /** spent ÷ limit */
  used_ratio: number;
  /** 0, 80 or 100: the alert level reached */
  alert: 0 | 80 | 100;
}

/** The forecast never extrapolates from less than an hour of the month: the first minutes would say anything. */
const MIN_ELAPSED_MS = 3_600_000;

export function costsReport(ledger: BudgetLedger, now: number): CostsReport {
  const totals = ledger.spendTotals();
  return {
    period: { day: totals.day, month: totals.month },
    spent_usd: { ...roundSums(totals.spent_month), today: roundSums(totals.spent_day) },
    reserved_usd: round(ledger.reservedUsd()),
    budget: ledger.config === undefined ? null : {
      ...ledger.config,
      limits: ledger.states().map((s) => ({
        id: s.limit.id, period: s.limit.period, substrate: s.limit.substrate, limit_usd: s.limit.usd,
        spent_usd: round(s.spent_usd), reserved_usd: round(s.reserved_usd), remaining_usd: round(s.remaining_usd),
        used_ratio: Number.isFinite(s.used_ratio) ? Math.round(s.used_ratio * 10_000) / 10_000 : 1, alert: s.alert,
      })),
    },
    forecast_usd: round(monthForecast(totals.spent_month.total, now)),
  };
}

/** Month-to-date spend × (length of the month ÷ time elapsed in it). */
export function monthForecast(spentUsd: number, now: number): number {
  const d = new Date(now);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return spentUsd * (end - start) / Math.max(MIN_ELAPSED_MS, now - start);
}

function roundSums(s: SpendSums): SpendSums {
  return { total: round(s.total), by_substrate: Object.fromEntries(Object.entries(s.by_substrate).map(([k, v]) => [k, round(v)])) };
}
