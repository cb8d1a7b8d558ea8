import type { Command } from 'commander';
import { integerIn, oneOf } from '../arg-parsers.js';
import { formatTable, printJson, printLine } from '../output.js';
import { SCENARIO_NAMES } from '../../sim/scenario.js';
import { simulate } from '../../sim/simulate.js';

/**
 * `packetfs simulate`: runs the real scheduler and dispatch loop on a
 * virtual clock against simulated substrates (docs/scheduling.md) and
 * compares each policy's bill and latency with the offline lower bound.
 */
export function registerSimulate(program: Command): void {
  program.command('simulate')
    .description('simulate the scheduler policies against churning nodes and priced clouds, and compare with a lower bound on cost')
    .option('--nodes <n>', 'volunteer nodes (90 % browser tabs, 10 % packetfs workers); default 10000', integerIn(0, 1_000_000))
    .option('--jobs <n>', 'jobs to submit; default 20000', integerIn(1, 2_000_000))
    .option('--seed <n>', 'random seed (same seed, same world and results); default 1', integerIn(0, 2 ** 31 - 1))
    .option('--scenario <name>', `world to simulate: ${SCENARIO_NAMES.join(', ')} (default planet)`, oneOf(SCENARIO_NAMES))
    .option('--json', 'print the report as JSON')
    .action(async (flags: { nodes?: number; jobs?: number; seed?: number; scenario?: string; json?: boolean }) => {
      const report = await simulate(flags.scenario ?? 'planet', {
        ...(flags.nodes === undefined ? {} : { nodes: flags.nodes }),
        ...(flags.jobs === undefined ? {} : { jobs: flags.jobs }),
        ...(flags.seed === undefined ? {} : { seed: flags.seed }),
      });
      if (flags.json) {
        printJson(report);
        return;
      }
      const oracle = report.oracle.cost_usd;
      printLine(`${report.scenario}: ${report.description}\n${report.nodes.toLocaleString('en')} nodes, ${report.jobs.toLocaleString('en')} jobs, seed ${report.seed}, ${report.seconds.toFixed(1)} s\n`);
      printLine(formatTable(
        ['policy', 'cost USD', '÷ oracle', 'p50 ms', 'p99 ms', 'deadline misses', 'succeeded', 'failed'],
        report.policies.map((p) => [
          p.name + (p.default ? ' (default)' : ''), p.cost_usd.toFixed(6), oracle > 0 ? (p.cost_usd / oracle).toFixed(3) : '-',
          p.p50_ms.toFixed(0), p.p99_ms.toFixed(0), String(p.deadline_misses), String(p.jobs_succeeded), String(p.jobs_failed),
        ]),
      ));
      printLine(`oracle (lower bound on cost): ${oracle.toFixed(6)} USD`);
    });
}
