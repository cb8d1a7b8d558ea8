import { Option, type Command } from 'commander';
import type { JobStatus } from '../../job/types.js';
import type { JobView } from '../../store/job-store.js';
import { integerIn, oneOf } from '../arg-parsers.js';
import { clientFrom, withClientOptions, type ClientFlags } from '../client-options.js';
import { formatTable, printJson, printLine } from '../output.js';

const STATUSES: readonly JobStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

export function registerJobs(program: Command): void {
  withClientOptions(program.command('jobs'))
    .description('list jobs with one status, newest first')
    .addOption(new Option('--status <status>', `one of ${STATUSES.join(', ')}`).argParser(oneOf(STATUSES)).default('failed'))
    .addOption(new Option('--limit <n>', 'jobs per page, 1..1000').argParser(integerIn(1, 1000)).default(100))
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--children', 'include the window jobs of split jobs')
    .option('--json', 'print JSON')
    .action(async (flags: ClientFlags & { status: JobStatus; limit: number; cursor?: string; children?: boolean; json?: boolean }) => {
      const children = flags.children === true;
      const page = await clientFrom(flags).listJobs(
        flags.cursor === undefined ? { status: flags.status, limit: flags.limit, children } : { status: flags.status, limit: flags.limit, cursor: flags.cursor, children });
      if (flags.json) {
        printJson(page);
        return;
      }
      if (page.jobs.length === 0) printLine(`no ${flags.status} jobs`);
      else printLine(formatTable(['JOB', 'STATUS', 'ATTEMPTS', 'CREATED', 'ERROR'], page.jobs.map(row)));
      if (page.next_cursor !== null) printLine(`more: --cursor ${page.next_cursor}`);
    });
}

function row(job: JobView): string[] {
  const error = job.result?.error ?? job.errors.at(-1) ?? null;
  return [job.job_id, job.status, String(job.attempts), job.created_at, error === null ? '' : `${error.code}: ${error.message}`];
}
