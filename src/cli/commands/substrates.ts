import type { Command } from 'commander';
import type { SubstrateView } from '../../dispatcher/api.js';
import { clientFrom, withClientOptions, type ClientFlags } from '../client-options.js';
import { formatTable, printJson, printLine } from '../output.js';

export function registerSubstrates(program: Command): void {
  withClientOptions(program.command('substrates'))
    .description('list substrates with health, load and score')
    .option('--json', 'print JSON')
    .action(async (flags: ClientFlags & { json?: boolean }) => {
      const client = clientFrom(flags);
      const [substrates, readiness] = await Promise.all([client.listSubstrates(), client.readiness()]);
      const warning = readiness.store_warning;
      if (flags.json) printJson({ substrates, ...(warning === undefined ? {} : { store_warning: warning }) });
      else printLine(formatTable(['NAME', 'TYPE', 'HEALTHY', 'CIRCUIT', 'IN_FLIGHT', 'SLOTS', 'LATENCY_MS', 'SCORE'], substrates.map(row)));
      // the job store can lose acknowledged jobs: said on stderr, so scripts reading the table are not disturbed
      if (warning !== undefined && !flags.json) process.stderr.write(`warning: ${warning}\n`);
    });
}

function row(s: SubstrateView): string[] {
  const latency = s.measured_latency_ms ?? s.capabilities.latency_ms;
  return [s.name, s.type, s.healthy ? 'yes' : 'no', s.circuit, String(s.in_flight), String(s.capabilities.available_slots),
    latency.toFixed(2), s.score === null ? '-' : String(Number(s.score.toPrecision(6)))];
}
