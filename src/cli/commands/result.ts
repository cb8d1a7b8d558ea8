import { Option, type Command } from 'commander';
import { seconds } from '../arg-parsers.js';
import { clientFrom, withClientOptions, type ClientFlags } from '../client-options.js';
import { reportPoll } from '../report-result.js';

export function registerResult(program: Command): void {
  withClientOptions(program.command('result'))
    .description("print a job's result (or its status while it runs)")
    .argument('<job-id>')
    .addOption(new Option('--wait <seconds>', 'wait up to this long for the job to finish').argParser(seconds))
    .option('--json', 'print JSON')
    .action(async (jobId: string, flags: ClientFlags & { wait?: number; json?: boolean }) => {
      const poll = await clientFrom(flags).pollResult(jobId, flags.wait ?? 0);
      reportPoll(jobId, poll, flags.json === true);
    });
}
