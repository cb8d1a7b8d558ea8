import { toErrorBody } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobStore, SpendItem, SpendSums, SpendTotals } from '../store/job-store.js';
import { spendPeriods } from '../store/spend-periods.js';
import { withStoreRetries } from '../util/store-retries.js';
import { hasLimits, type BudgetConfig } from './budget-config.js';

/**
 * What has been spent, what is promised to jobs in flight, and what is left
 * of each budget (docs/costs.md). One per dispatcher; the spend itself is in
 * the store, so every dispatcher on it counts against the same budget.
 *
 * State:
 *   totals    the store's day and month totals as last read (every refreshMs),
 *             plus what this process recorded since (so its own spend counts
 *             at once). A read replaces them; spend recorded while the read was
 *             under way is added again, which may count it twice until the
 *             next read: over-counting holds work back a moment, under-counting
 *             would overspend.
 *   reserved  the estimates of paid jobs placed and not yet settled, per
 *             substrate and per job id; released when their batch settles.
 *   alerted   per limit, the highest alert level (80, 100) logged in the
 *             current period; a new period starts from 0 again.
 */
export interface BudgetLedgerOptions {
  store: JobStore;
  budget?: BudgetConfig;
  logger: Logger;
  now?: () => number;
  /** how often the shared totals are read from the store; default 1000 ms */
  refreshMs?: number;
}

/** One limit of the budget: global or per substrate, per day or per month. */
export interface Limit {
  /** `daily`, `monthly`, `<substrate>.daily`, `<substrate>.monthly` */
  readonly id: string;
  readonly period: 'day' | 'month';
  readonly substrate: string | null;
  readonly usd: number;
}

export interface LimitState {
  limit: Limit;
  spent_usd: number;
  reserved_usd: number;
  remaining_usd: number;
  used_ratio: number;
  /** 0, 80 or 100: the alert level reached */
  alert: 0 | 80 | 100;
}

export const ALERT_LEVELS = [80, 100] as const;

export class BudgetLedger {
  /** whether any limit is set; without one only job caps (max_cost_usd) gate placement */
  readonly limited: boolean;
  readonly config: BudgetConfig | undefined;
  private readonly limits: Limit[];
  private readonly store: JobStore;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly refreshMs: number;
  private totals: SpendTotals;
  private readonly reservedBy = new Map<string, number>();
  private reservedTotal = 0;
  private readonly reservations = new Map<string, { substrate: string; usd: number }>();
  private readonly alerted = new Map<string, { period: string; level: number }>();
  /** alerts raised since start, by limit id and level (Prometheus counter) */
  private readonly alertCounts = new Map<string, number>();
  /** spend recorded while a read is under way (added again after it) */
  private duringRead: SpendItem[] | null = null;
  private writes: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(opts: BudgetLedgerOptions) {
    this.store = opts.store;
    this.config = opts.budget;
    this.logger = opts.logger;
    this.now = opts.now ?? Date.now;
    this.refreshMs = opts.refreshMs ?? 1000;
    this.limited = hasLimits(opts.budget);
    this.limits = limitsOf(opts.budget);
    const { day, month } = spendPeriods(this.now());
    this.totals = { day, month, spent_day: { total: 0, by_substrate: {} }, spent_month: { total: 0, by_substrate: {} } };
  }

  /** reads the totals once, then keeps them fresh in the background */
  async start(): Promise<void> {
    await this.refresh().catch(() => undefined);
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.refreshMs);
    this.timer.unref();
  }

  /** stops the refresh and waits for spend still being written */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.writes;
  }

  /** reads the shared totals from the store (after this process's pending writes landed) */
  async refresh(): Promise<void> {
    // every write issued so far must have landed: spend recorded after this point is kept in duringRead
    for (let w = this.writes; ; w = this.writes) {
      await w;
      if (w === this.writes) break;
    }
    this.duringRead = [];
    try {
      const read = await this.store.spendTotals(this.now());
      const again = this.duringRead;
      this.totals = read;
      for (const item of again) this.addLocally(item);
    } catch (err) {
      this.logger.warn({ event: 'budget_read_failed', err: toErrorBody(err) }, 'could not read spend totals; using the last ones');
      throw err;
    } finally {
      this.duringRead = null;
    }
    this.checkAlerts();
  }

  /**
   * The first limit that spending `usd` more on `substrate` would break, or
   * null. With `countReserved` the estimates of jobs in flight count too.
   */
  refusal(substrate: string, usd: number, countReserved = true): Limit | null {
    for (const limit of this.limits) {
      if (limit.substrate !== null && limit.substrate !== substrate) continue;
      const reserved = countReserved ? (limit.substrate === null ? this.reservedTotal : this.reservedBy.get(substrate) ?? 0) : 0;
      // a budget of 0 refuses every paid job, even one estimated at $0
      if (this.spent(limit) + reserved + usd > limit.usd || (limit.usd === 0 && usd >= 0)) return limit;
    }
    return null;
  }

  /** counts a placed job's estimate against the budget until its batch settles */
  reserve(jobId: string, substrate: string, usd: number): void {
    if (this.reservations.has(jobId)) this.release(jobId);
    this.reservations.set(jobId, { substrate, usd });
    this.reservedBy.set(substrate, (this.reservedBy.get(substrate) ?? 0) + usd);
    this.reservedTotal += usd;
  }

  /** a reserved job settled (or was not run): its estimate no longer counts */
  release(jobId: string): void {
    const r = this.reservations.get(jobId);
    if (r === undefined) return;
    this.reservations.delete(jobId);
    const left = (this.reservedBy.get(r.substrate) ?? 0) - r.usd;
    if (left > 1e-12) this.reservedBy.set(r.substrate, left);
    else this.reservedBy.delete(r.substrate);
    this.reservedTotal = this.reservations.size === 0 ? 0 : Math.max(0, this.reservedTotal - r.usd);
  }

  /** whether any job's estimate is reserved (settle skips release() calls otherwise) */
  get hasReservations(): boolean {
    return this.reservations.size > 0;
  }

  /** spend that happened (the cost meters' figures): counted here at once, written to the store in the background */
  record(items: SpendItem[]): void {
    const paid = items.filter((i) => i.usd > 0);
    if (paid.length === 0) return;
    for (const item of paid) this.addLocally(item);
    this.duringRead?.push(...paid);
    this.writes = this.writes
      .then(() => withStoreRetries(() => this.store.addSpend(paid)))
      .catch((err) => this.logger.error({ event: 'spend_write_failed', err: toErrorBody(err) }, 'could not store spend; the shared budget undercounts it'));
    this.checkAlerts();
  }

  /** spend totals as this process sees them now */
  spendTotals(): SpendTotals {
    return this.totals;
  }

  reservedUsd(): number {
    return this.reservedTotal;
  }

  /** every limit with its spend, reservations and alert level */
  states(): LimitState[] {
    return this.limits.map((limit) => {
      const spent = this.spent(limit);
      const reserved = limit.substrate === null ? this.reservedTotal : this.reservedBy.get(limit.substrate) ?? 0;
      // sums of binary fractions land a hair under round ratios (0.02 / 0.025 = 0.7999…): round to 1e-9
      const ratio = limit.usd === 0 ? (spent > 0 ? Infinity : 0) : Math.round(spent / limit.usd * 1e9) / 1e9;
      return {
        limit, spent_usd: spent, reserved_usd: reserved, remaining_usd: Math.max(0, limit.usd - spent - reserved),
        used_ratio: ratio, alert: ratio >= 1 ? 100 : ratio >= 0.8 ? 80 : 0,
      };
    });
  }

  /** alerts raised since start, `<limit id>|<level>` → count */
  alertsRaised(): ReadonlyMap<string, number> {
    return this.alertCounts;
  }

  private spent(limit: Limit): number {
    const sums = limit.period === 'day' ? this.totals.spent_day : this.totals.spent_month;
    return limit.substrate === null ? sums.total : sums.by_substrate[limit.substrate] ?? 0;
  }

  private addLocally(item: SpendItem): void {
    const { day, month } = spendPeriods(item.at);
    if (day === this.totals.day) add(this.totals.spent_day, item);
    if (month === this.totals.month) add(this.totals.spent_month, item);
  }

  /** logs each limit's crossing of 80% and 100% once per period */
  private checkAlerts(): void {
    if (!this.limited) return;
    for (const state of this.states()) {
      if (state.alert === 0) continue;
      const period = state.limit.period === 'day' ? this.totals.day : this.totals.month;
      const last = this.alerted.get(state.limit.id);
      const before = last !== undefined && last.period === period ? last.level : 0;
      if (state.alert <= before) continue;
      this.alerted.set(state.limit.id, { period, level: state.alert });
      const key = `${state.limit.id}|${state.alert}`;
      this.alertCounts.set(key, (this.alertCounts.get(key) ?? 0) + 1);
      this.logger.warn({
        event: 'budget_alert', budget: state.limit.id, level: state.alert, period,
        spent_usd: round(state.spent_usd), limit_usd: state.limit.usd,
      }, state.alert === 100
        ? `budget ${state.limit.id} is spent ($${round(state.spent_usd)} of $${state.limit.usd} in ${period}): paid work waits`
        : `budget ${state.limit.id} is ${Math.floor(state.used_ratio * 100)}% used ($${round(state.spent_usd)} of $${state.limit.usd} in ${period})`);
    }
  }
}

function add(sums: SpendSums, item: SpendItem): void {
  sums.total += item.usd;
  sums.by_substrate[item.substrate] = (sums.by_substrate[item.substrate] ?? 0) + item.usd;
}

function limitsOf(budget: BudgetConfig | undefined): Limit[] {
  const out: Limit[] = [];
  if (budget === undefined) return out;
  if (budget.daily_usd !== undefined) out.push({ id: 'daily', period: 'day', substrate: null, usd: budget.daily_usd });
  if (budget.monthly_usd !== undefined) out.push({ id: 'monthly', period: 'month', substrate: null, usd: budget.monthly_usd });
  for (const [name, l] of Object.entries(budget.per_substrate ?? {})) {
    if (l.daily_usd !== undefined) out.push({ id: `${name}.daily`, period: 'day', substrate: name, usd: l.daily_usd });
    if (l.monthly_usd !== undefined) out.push({ id: `${name}.monthly`, period: 'month', substrate: name, usd: l.monthly_usd });
  }
  return out;
}

/** USD for reports: 9 significant digits (a spot job can cost a billionth of a dollar) and no float noise */
export function round(usd: number): number {
  return Number(usd.toPrecision(9));
}
