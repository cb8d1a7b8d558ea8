import type { ResultPoll } from '../sdk/client.js';
import { PacketFSError } from '../errors.js';
import { describeResult, printJson, printLine } from './output.js';
import { setExitCode } from './cli-io.js';

/**
 * Prints what a result poll found. A job that failed or was cancelled sets
 * exit code 1 so scripts notice; a job still running is not an error.
 */
export function reportPoll(jobId: string, poll: ResultPoll, json: boolean): void {
  if (poll.state === 'unknown') throw new PacketFSError('NOT_FOUND', `no job ${JSON.stringify(jobId)}`);
  if (poll.state === 'pending') {
    if (json) printJson({ job_id: jobId, status: poll.status });
    else printLine(`job ${jobId} is ${poll.status}`);
    return;
  }
  if (json) printJson(poll.record);
  else printLine(describeResult(poll.record));
  if (poll.record.status !== 'succeeded') setExitCode(1);
}
