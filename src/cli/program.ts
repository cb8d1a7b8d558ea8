import { Command, CommanderError } from 'commander';
import { PacketFSError, toErrorBody } from '../errors.js';
import { version } from '../version.js';
import { registerServe } from './commands/serve.js';
import { registerSubmit } from './commands/submit.js';
import { registerResult } from './commands/result.js';
import { registerCancel } from './commands/cancel.js';
import { registerJobs } from './commands/jobs.js';
import { registerSubstrates } from './commands/substrates.js';
import { registerMetrics } from './commands/metrics.js';
import { registerWorker } from './commands/worker.js';
import { registerStore } from './commands/store.js';
import { registerNodes } from './commands/nodes.js';
import { registerBlob } from './commands/blob.js';
import { registerTop } from './commands/top.js';
import { registerCosts } from './commands/costs.js';
import { UsageError } from './usage-error.js';
import { cliIo, processIo, withCliIo, type CliIo } from './cli-io.js';

/**
 * Exit codes: 0 ok, 1 the operation failed, 2 the command line (or config
 * file) is wrong, or the data dir cannot be used (DATA_DIR_UNWRITABLE, or
 * STORE_LOCKED: another process has its job store open).
 */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command('packetfs')
    .description('PacketFS Compute: run byte-op jobs on local threads, browsers and clouds')
    .version(version)
    // commander's own error lines are replaced by ours (see runCli); help and version still print, to this run's streams
    .configureOutput({
      outputError: () => {},
      writeOut: (text) => { cliIo().stdout.write(text); },
      writeErr: (text) => { cliIo().stderr.write(text); },
    })
    .exitOverride()
    .showSuggestionAfterError(true);
  registerServe(program);
  registerSubmit(program);
  registerResult(program);
  registerCancel(program);
  registerJobs(program);
  registerSubstrates(program);
  registerMetrics(program);
  registerWorker(program);
  registerStore(program);
  registerNodes(program);
  registerBlob(program);
  registerTop(program);
  registerCosts(program);
  return program;
}

/**
 * Runs the CLI and returns the exit code; every error is one line on
 * stderr. `io` is where it writes (the process's streams by default; tests
 * pass their own and run commands in process, see cli-io.ts).
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const { value, exitCode } = await withCliIo(io, async () => {
    try {
      await buildProgram().parseAsync(argv);
      return 0;
    } catch (err) {
      if (err instanceof CommanderError) {
        if (err.exitCode === 0) return 0;   // --help, --version
        io.stderr.write(`packetfs: INVALID_REQUEST: ${err.message.replace(/^error:\s*/, '').replace(/\s*\n\s*/g, ' ')}\n`);
        return EXIT_USAGE;
      }
      io.stderr.write(`packetfs: ${errorLine(err)}\n`);
      return err instanceof UsageError || isDataDirError(err) ? EXIT_USAGE : EXIT_FAILURE;
    }
  });
  return value !== 0 ? value : exitCode;
}

function isDataDirError(err: unknown): boolean {
  return err instanceof PacketFSError && (err.code === 'DATA_DIR_UNWRITABLE' || err.code === 'STORE_LOCKED');
}

function errorLine(err: unknown): string {
  const body = toErrorBody(err);
  return `${body.code}: ${body.message}${body.path === undefined ? '' : ` (at ${body.path})`}`;
}
