/**
 * Per-process CPU for a test run, to find the test files that cost most:
 *   NODE_OPTIONS="--import $PWD/scripts/test-cpu.mjs" PACKETFS_TEST_CPU=/tmp/cpu.jsonl node scripts/run-tests.mjs
 *   node scripts/test-cpu.mjs /tmp/cpu.jsonl
 * (an absolute path: tests start `node` in other directories too).
 * Loaded into every Node process of the run (the runner, each test file, and
 * the `packetfs` processes tests start), it appends one line per process at
 * exit: its argv, its own user+system CPU (all threads), the CPU of the child
 * processes it waited for (redis-server, Chromium, npm) and its wall time.
 * Run as a script it prints the test files by CPU, heaviest first. CPU time
 * is the figure to compare while other work loads the machine; wall time
 * then depends on the load (docs/testing.md).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

const out = process.env.PACKETFS_TEST_CPU;
// worker threads load it too (NODE_OPTIONS), but resourceUsage() is the whole process's: only the main thread reports
if (out !== undefined && isMainThread && process.argv[1] !== fileURLToPath(import.meta.url)) {
  const startedAt = Date.now();
  process.on('exit', () => {
    try {
      const usage = process.resourceUsage();
      // fields 14 and 15 of /proc/self/stat (after the command name): waited-for children's user and system ticks
      const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
      const ticks = 100;
      appendFileSync(out, `${JSON.stringify({
        argv: process.argv.slice(1).join(' '), cpu_s: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
        children_cpu_s: (Number(fields[13] ?? 0) + Number(fields[14] ?? 0)) / ticks, wall_s: (Date.now() - startedAt) / 1000,
      })}\n`);
    } catch {
      // a report that cannot be written must not change the test's exit
    }
  });
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: node scripts/test-cpu.mjs <report.jsonl>');
  const rows = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  const tests = rows.filter((r) => /\/test\/.*\.test\.js$/.test(r.argv.split(' ')[0]));
  tests.sort((a, b) => (b.cpu_s + b.children_cpu_s) - (a.cpu_s + a.children_cpu_s));
  const sum = (key) => tests.reduce((n, r) => n + r[key], 0).toFixed(1);
  console.log(`${tests.length} test files: ${sum('cpu_s')} s CPU in the test processes, ${sum('children_cpu_s')} s in their children`);
  for (const r of tests) {
    console.log(`${(r.cpu_s + r.children_cpu_s).toFixed(1).padStart(6)} s CPU ${r.wall_s.toFixed(1).padStart(6)} s wall  ${r.argv.split(' ')[0].replace(/.*\/test\//, 'test/')}`);
  }
}
