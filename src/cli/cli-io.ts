import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Where one run of the CLI writes and the exit code it ends with. The
 * `packetfs` binary runs with the process's own streams; tests run the
 * program in their own process with streams that collect the text, so they
 * need not start a Node process per command.
 *
 * The run is found through AsyncLocalStorage rather than passed to every
 * command: each command's action, and everything it awaits, sees the run
 * that started it, so concurrent in-process runs do not mix their output.
 * Outside a run (a library user calling a helper) the process's streams
 * are used.
 */
export interface CliStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface CliIo {
  stdout: CliStream;
  stderr: CliStream;
}

interface CliRun {
  io: CliIo;
  /** 0 unless a command says the operation failed (a failed job: 1) */
  exitCode: number;
}

const runs = new AsyncLocalStorage<CliRun>();

export const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

/** Runs `fn` as one CLI run with `io`; resolves with what it returns and the exit code commands set. */
export async function withCliIo<T>(io: CliIo, fn: () => Promise<T>): Promise<{ value: T; exitCode: number }> {
  const run: CliRun = { io, exitCode: 0 };
  const value = await runs.run(run, fn);
  return { value, exitCode: run.exitCode };
}

/** The current run's streams (the process's outside a run). */
export function cliIo(): CliIo {
  return runs.getStore()?.io ?? processIo;
}

/** Sets the exit code the current run ends with (the process's outside a run). */
export function setExitCode(code: number): void {
  const run = runs.getStore();
  if (run === undefined) process.exitCode = code;
  else run.exitCode = code;
}
