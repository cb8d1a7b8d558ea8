import { Counter, Gauge, Registry } from 'prom-client';
import { ALERT_LEVELS, type BudgetLedger } from './budget-ledger.js';

/**
 * The budget in Prometheus text format (appended to /metrics), kept by
 * prom-client: spend of the UTC day and month (shared through the store),
 * and per limit its size, spend, used ratio, the alert level reached (0, 80,
 * 100) and how many alerts this process raised. Alert on
 * `packetfs_budget_alert_level >= 80`.
 *
 * The ledger owns the numbers; each render copies a snapshot of them into
 * the gauges (and the alert counter mirrors the ledger's running count).
 * The per-limit families appear only when a limit is set.
 */
export class BudgetMetrics {
  private readonly spendRegistry = new Registry();
  private readonly limitRegistry = new Registry();

  private readonly spend = new Gauge({
    name: 'packetfs_spend_usd', help: 'Spend of the current UTC period as shared through the store, by substrate.',
    labelNames: ['period', 'substrate'] as const, registers: [this.spendRegistry],
  });

  private readonly reserved = new Gauge({
    name: 'packetfs_spend_reserved_usd', help: 'Estimated cost of paid jobs in flight on this dispatcher.', registers: [this.spendRegistry],
  });

  private readonly limit = new Gauge({
    name: 'packetfs_budget_limit_usd', help: 'Budget limit.', labelNames: ['budget'] as const, registers: [this.limitRegistry],
  });

  private readonly spent = new Gauge({
    name: 'packetfs_budget_spent_usd', help: 'Spend counted against the budget limit in its current period.',
    labelNames: ['budget'] as const, registers: [this.limitRegistry],
  });

  private readonly usedRatio = new Gauge({
    name: 'packetfs_budget_used_ratio', help: 'Spend divided by the limit.', labelNames: ['budget'] as const, registers: [this.limitRegistry],
  });

  private readonly alertLevel = new Gauge({
    name: 'packetfs_budget_alert_level', help: 'Alert level the budget has reached: 0, 80 or 100 (percent).',
    labelNames: ['budget'] as const, registers: [this.limitRegistry],
  });

  private readonly alerts = new Counter({
    name: 'packetfs_budget_alerts_total', help: 'Budget alerts raised by this dispatcher (each crossing of 80% and 100% once per period).',
    labelNames: ['budget', 'level'] as const, registers: [this.limitRegistry],
  });

  constructor(private readonly ledger: BudgetLedger) {}

  async render(): Promise<string> {
    const totals = this.ledger.spendTotals();
    this.spend.reset();
    for (const [period, sums] of [['day', totals.spent_day], ['month', totals.spent_month]] as const) {
      for (const [substrate, usd] of Object.entries(sums.by_substrate)) this.spend.set({ period, substrate }, usd);
    }
    this.reserved.set(this.ledger.reservedUsd());
    const states = this.ledger.states();
    if (states.length === 0) return this.spendRegistry.metrics();

    for (const gauge of [this.limit, this.spent, this.usedRatio, this.alertLevel]) gauge.reset();
    this.alerts.reset();
    const raised = this.ledger.alertsRaised();
    for (const s of states) {
      const budget = s.limit.id;
      this.limit.set({ budget }, s.limit.usd);
      this.spent.set({ budget }, s.spent_usd);
      this.usedRatio.set({ budget }, Number.isFinite(s.used_ratio) ? s.used_ratio : 1);
      this.alertLevel.set({ budget }, s.alert);
      for (const level of ALERT_LEVELS) this.alerts.inc({ budget, level: String(level) }, raised.get(`${budget}|${level}`) ?? 0);
    }
    return (await this.spendRegistry.metrics()) + (await this.limitRegistry.metrics());
  }
}
