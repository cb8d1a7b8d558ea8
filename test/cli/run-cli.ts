import { spawn, type ChildProcess } from 'node:child_process';

/** The CLI as users run it, from the repo root (tests always run there). */
export const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client command to completion. PACKETFS_* variables are cleared unless given. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
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
  for (const name of ['PACKETFS_SERVER', 'PACKETFS_TOKEN', 'REDIS_URL']) delete base[name];
  return spawn(process.execPath, [...CLI, ...args], { cwd: process.cwd(), env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
