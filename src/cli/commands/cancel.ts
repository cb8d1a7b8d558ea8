import type { Command } from 'commander';
import { PacketFSError } from '../../errors.js';
import { clientFrom, withClientOptions, type ClientFlags } from '../client-options.js';
import { printJson, printLine } from '../output.js';

export function registerCancel(program: Command): void {
  withClientOptions(program.command('cancel'))
    .description('cancel a queued or running job')
    .argument('<job-id>')
    .option('--json', 'print JSON')
    .action(async (jobId: string, flags: ClientFlags & { json?: boolean }) => {
      const outcome = await clientFrom(flags).cancel(jobId);
      if (outcome === 'not_found') throw new PacketFSError('NOT_FOUND', `no job ${JSON.stringify(jobId)}`);
      if (outcome === 'finished') throw new PacketFSError('CONFLICT', `job ${jobId} has already finished`);
      if (flags.json) printJson({ job_id: jobId, status: 'cancelled' });
      else printLine(`job ${jobId} cancelled`);
    });
}
