import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli as runProgram } from '../../src/cli/program.js';

/**
 * The CLI from tests. `runCli` runs the program in this process with
 * collecting streams (src/cli/cli-io.ts): what a user sees, without
 * starting Node per command. `runCliProcess` and `spawnCli` start the built
 * binary as users run it, for the few tests that need a real process
 * (signals, environment variables, a server that outlives the command).
 */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Variables the CLI reads as defaults; the runs here must not pick them up from the developer's shell. */
const CLI_VARIABLES = ['PACKETFS_SERVER', 'PACKETFS_TOKEN', 'REDIS_URL'];
for (const name of CLI_VARIABLES) delete process.env[name];

/** Runs a command to completion in this process. */
export async function runCli(args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runProgram(['node', 'packetfs', ...args], {
    stdout: { write: (text: string) => { stdout += text; } },
    stderr: { write: (text: string) => { stderr += text; } },
  });
  return { code, stdout, stderr };
}

/** The built CLI: tests run from dist/, and the built file starts in a fraction of the time tsx needs. */
export const BUILT_CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs a command to completion in a new process. PACKETFS_* variables are cleared unless given. */
export function runCliProcess(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => { stdout += chunk; });
    child.stderr!.on('data', (chunk) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  const base = { ...process.env };
  for (const name of CLI_VARIABLES) delete base[name];
  return spawn(process.execPath, [BUILT_CLI, ...args], { cwd: process.cwd(), env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Resolves with the URL captured by `line` (group 1) from `serve`'s stdout;
 * rejects, with what the process printed, if it ends first.
 */
export function listeningUrl(child: ChildProcess, line: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const match = line.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening: ${stdout}${stderr}`)));
  });
}
