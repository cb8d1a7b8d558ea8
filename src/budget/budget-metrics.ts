import { esc } from '../dispatcher/telemetry.js';
import { ALERT_LEVELS, type BudgetLedger } from './budget-ledger.js';

/**
 * The budget in Prometheus text format (appended to /metrics): spend of the
 * UTC day and month (shared through the store), and per limit its size,
 * spend, used ratio, the alert level reached (0, 80, 100) and how many
 * alerts this process raised. Alert on `packetfs_budget_alert_level >= 80`.
 */
export function budgetMetrics(ledger: BudgetLedger): string {
  const out: string[] = [];
  const totals = ledger.spendTotals();
  out.push('# HELP packetfs_spend_usd Spend of the current UTC period as shared through the store, by substrate.', '# TYPE packetfs_spend_usd gauge');
  for (const [period, sums] of [['day', totals.spent_day], ['month', totals.spent_month]] as const) {
    for (const [s, usd] of Object.entries(sums.by_substrate)) out.push(`packetfs_spend_usd{period="${period}",substrate="${esc(s)}"} ${usd}`);
  }
  out.push('# HELP packetfs_spend_reserved_usd Estimated cost of paid jobs in flight on this dispatcher.', '# TYPE packetfs_spend_reserved_usd gauge', `packetfs_spend_reserved_usd ${ledger.reservedUsd()}`);
  const states = ledger.states();
  if (states.length === 0) return out.join('\n') + '\n';
  out.push('# HELP packetfs_budget_limit_usd Budget limit.', '# TYPE packetfs_budget_limit_usd gauge');
  for (const s of states) out.push(`packetfs_budget_limit_usd{budget="${esc(s.limit.id)}"} ${s.limit.usd}`);
  out.push('# HELP packetfs_budget_spent_usd Spend counted against the budget limit in its current period.', '# TYPE packetfs_budget_spent_usd gauge');
  for (const s of states) out.push(`packetfs_budget_spent_usd{budget="${esc(s.limit.id)}"} ${s.spent_usd}`);
  out.push('# HELP packetfs_budget_used_ratio Spend divided by the limit.', '# TYPE packetfs_budget_used_ratio gauge');
  for (const s of states) out.push(`packetfs_budget_used_ratio{budget="${esc(s.limit.id)}"} ${Number.isFinite(s.used_ratio) ? s.used_ratio : 1}`);
  out.push('# HELP packetfs_budget_alert_level Alert level the budget has reached: 0, 80 or 100 (percent).', '# TYPE packetfs_budget_alert_level gauge');
  for (const s of states) out.push(`packetfs_budget_alert_level{budget="${esc(s.limit.id)}"} ${s.alert}`);
  out.push('# HELP packetfs_budget_alerts_total Budget alerts raised by this dispatcher (each crossing of 80% and 100% once per period).', '# TYPE packetfs_budget_alerts_total counter');
  const raised = ledger.alertsRaised();
  for (const s of states) {
    for (const level of ALERT_LEVELS) out.push(`packetfs_budget_alerts_total{budget="${esc(s.limit.id)}",level="${level}"} ${raised.get(`${s.limit.id}|${level}`) ?? 0}`);
  }
  return out.join('\n') + '\n';
}
