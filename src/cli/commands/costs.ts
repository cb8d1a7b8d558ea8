import type { Command } from 'commander';
import type { CostsReport } from '../../budget/costs-report.js';
import { clientFrom, withClientOptions, type ClientFlags } from '../client-options.js';
import { formatTable, printJson, printLine } from '../output.js';

/** `packetfs costs`: GET /v1/costs as a table (docs/costs.md). */
export function registerCosts(program: Command): void {
  withClientOptions(program.command('costs'))
    .description('spend this month and today by substrate, the budget and what is left, the month\'s forecast')
    .option('--json', 'print JSON')
    .action(async (flags: ClientFlags & { json?: boolean }) => {
      const costs = await clientFrom(flags).getCosts();
      if (flags.json) printJson(costs);
      else printLine(describeCosts(costs));
    });
}

export function describeCosts(c: CostsReport): string {
  const names = [...new Set([...Object.keys(c.spent_usd.by_substrate), ...Object.keys(c.spent_usd.today.by_substrate)])].sort();
  const lines = [
    `spent ${usd(c.spent_usd.total)} in ${c.period.month} (${usd(c.spent_usd.today.total)} on ${c.period.day}); forecast for the month ${usd(c.forecast_usd)}; in flight ${usd(c.reserved_usd)}`,
  ];
  if (names.length > 0) {
    lines.push('', formatTable(['SUBSTRATE', 'MONTH_USD', 'TODAY_USD'],
      names.map((n) => [n, usd(c.spent_usd.by_substrate[n] ?? 0), usd(c.spent_usd.today.by_substrate[n] ?? 0)])));
  }
  if (c.budget === null || c.budget.limits.length === 0) {
    lines.push('', 'no budget set (packetfs.config.json "budget")');
  } else {
    lines.push('', formatTable(['BUDGET', 'LIMIT_USD', 'SPENT_USD', 'LEFT_USD', 'USED', 'ALERT'],
      c.budget.limits.map((l) => [l.id, usd(l.limit_usd), usd(l.spent_usd), usd(l.remaining_usd), `${Math.round(l.used_ratio * 100)}%`, l.alert === 0 ? '-' : `${l.alert}%`])));
  }
  return lines.join('\n');
}

function usd(v: number): string {
  return `$${Number(v.toPrecision(6))}`;
}
