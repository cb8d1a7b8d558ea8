import { Option, type Command } from 'commander';
import { integerIn } from '../arg-parsers.js';
import { clientFrom, withClientOptions, type ClientFlags } from '../client-options.js';
import { formatMs, formatTable, printJson, printLine } from '../output.js';

export function registerMetrics(program: Command): void {
  withClientOptions(program.command('metrics'))
    .description('per-substrate totals over the most recent jobs')
    .addOption(new Option('--limit <n>', 'how many recent jobs, 1..10000').argParser(integerIn(1, 10_000)).default(100))
    .option('--json', 'print JSON')
    .action(async (flags: ClientFlags & { limit: number; json?: boolean }) => {
      const report = await clientFrom(flags).getMetrics(flags.limit);
      if (flags.json) {
        printJson(report);
        return;
      }
      const rows = Object.entries(report.substrates).map(([name, a]) => [name, String(a.jobs), String(a.succeeded), String(a.failed),
        formatMs(a.avg_exec_time_ms), a.total_cost_usd.toFixed(6), String(a.bytes_processed)]);
      printLine(`${report.metrics.length} recent job${report.metrics.length === 1 ? '' : 's'}`);
      if (rows.length > 0) printLine(formatTable(['SUBSTRATE', 'JOBS', 'SUCCEEDED', 'FAILED', 'AVG_EXEC_MS', 'COST_USD', 'BYTES'], rows));
    });
}
