import { Option, type Command } from 'commander';
import type { OpName } from '../../ops/types.js';
import type { Client } from '../../sdk/client.js';
import { commaList, httpUrl, integerIn, opList, opName, seconds, splitValue } from '../arg-parsers.js';
import { clientFrom, withClientOptions, type ClientFlags } from '../client-options.js';
import { printJson, printLine } from '../output.js';
import { reportPoll } from '../report-result.js';
import { UsageError } from '../usage-error.js';
import { uploadFile } from '../upload-file.js';
import { ProgressBar } from '../progress-bar.js';

interface SubmitFlags extends ClientFlags {
  op?: OpName;
  ops?: Array<{ op: OpName; imm?: number }>;
  imm?: number;
  file?: string;
  url?: string;
  data?: string;
  text?: string;
  offset?: number;
  length?: number;
  priority?: number;
  substrates?: string[];
  split?: 'auto' | { window_bytes: number };
  /** true: wait until finished; a number: at most that many seconds */
  wait?: true | number;
  json?: boolean;
  private?: boolean;
  verify?: 'auto' | 'quorum' | 'none';
}

const SOURCES = ['file', 'url', 'data', 'text'] as const;

export function registerSubmit(program: Command): void {
  withClientOptions(program.command('submit'))
    .description('submit one job; with --wait, print its result')
    .addOption(new Option('--op <op>', 'the op: counteq, crc32c, fnv64, xor or add').argParser(opName))
    .addOption(new Option('--ops <list>', 'several ops over the same window, e.g. crc32c,counteq:7').argParser(opList))
    .addOption(new Option('--imm <n>', 'immediate byte 0..255 (default 0)').argParser(integerIn(0, 255)))
    .option('--file <path>', 'a local file: uploaded as a blob first')
    .addOption(new Option('--url <url>', 'an http(s) URL read with Range requests').argParser(httpUrl))
    .option('--data <base64>', 'inline bytes, base64')
    .option('--text <string>', 'inline bytes, the UTF-8 of this text')
    .addOption(new Option('--offset <n>', 'window start (default 0)').argParser(integerIn(0, Number.MAX_SAFE_INTEGER)))
    .addOption(new Option('--length <n>', 'window length (default: to the end)').argParser(integerIn(0, Number.MAX_SAFE_INTEGER)))
    .addOption(new Option('--priority <n>', 'higher runs first (default 0)').argParser(integerIn(-1_000_000, 1_000_000)))
    .addOption(new Option('--substrates <list>', 'substrates the job may run on, e.g. local,browser').argParser(commaList))
    .option('--private', 'never run on (or be checked by) untrusted browsers and volunteers')
    .addOption(new Option('--verify <mode>', 'how volunteer results are checked (default auto)').choices(['auto', 'quorum', 'none']))
    .addOption(new Option('--split <auto|bytes>', 'run over the whole file/URL as window jobs combined into one result: auto, or a window size like 8m').argParser(splitValue))
    .addOption(new Option('--wait [seconds]', 'wait for the result (at most this long when given)').argParser(seconds))
    .option('--json', 'print JSON')
    .action(async (flags: SubmitFlags) => {
      const client = clientFrom(flags);
      const job = await buildJob(flags, client);
      const outcome = await client.submitJob(job);
      if (flags.wait === undefined) {
        if (flags.json) printJson(outcome);
        else printLine(outcome.job_id);
        return;
      }
      const poll = flags.wait === true
        ? { state: 'finished' as const, record: await waitWithBar(client, outcome.job_id) }
        : await client.pollResult(outcome.job_id, flags.wait);
      reportPoll(outcome.job_id, poll, flags.json === true);
    });
}

async function buildJob(flags: SubmitFlags, client: Client): Promise<Record<string, unknown>> {
  const program: Record<string, unknown> = {};
  if ((flags.op === undefined) === (flags.ops === undefined)) throw new UsageError('give exactly one of --op or --ops');
  if (flags.op !== undefined) program.op = flags.op;
  else program.ops = flags.ops;
  if (flags.imm !== undefined) program.imm = flags.imm;

  const given = SOURCES.filter((source) => flags[source] !== undefined);
  if (given.length !== 1) {
    throw new UsageError(`give exactly one data source: --file, --url, --data or --text${given.length > 1 ? ` (got --${given.join(', --')})` : ''}`);
  }
  if (flags.file !== undefined) program.blob = (await uploadFile(flags.file, client, '--file')).blob_id;
  if (flags.url !== undefined) program.data_url = flags.url;
  if (flags.data !== undefined) program.data = flags.data;
  if (flags.text !== undefined) program.data = Buffer.from(flags.text, 'utf8').toString('base64');
  if (flags.offset !== undefined) program.offset = flags.offset;
  if (flags.length !== undefined) program.length = flags.length;

  const job: Record<string, unknown> = { program };
  if (flags.priority !== undefined) job.priority = flags.priority;
  if (flags.substrates !== undefined) job.substrates = flags.substrates;
  if (flags.private === true) job.private = true;
  if (flags.verify !== undefined) job.verify = flags.verify;
  if (flags.split !== undefined) job.split = flags.split;
  return job;
}

/** Waits for the result; on a terminal, a split job's progress is drawn as a bar (bytes, rate, ETA, windows). */
async function waitWithBar(client: Client, jobId: string) {
  const bar = new ProgressBar('compute');
  if (!bar.active) return client.waitForResult(jobId);
  try {
    return await client.waitForResult(jobId, {
      onProgress: ({ progress }) => {
        if (progress !== undefined && progress.windows_total > 0) {
          bar.update(progress.bytes_done, progress.bytes_total, `windows ${progress.windows_done}/${progress.windows_total}`);
        }
      },
    });
  } finally {
    bar.done();
  }
}
