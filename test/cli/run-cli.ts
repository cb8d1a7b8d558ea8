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
