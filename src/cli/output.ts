import type { ResultRecord } from '../job/types.js';
import type { OpResult } from '../ops/types.js';
import { cliIo } from './cli-io.js';

/** Human and JSON output of the client commands. Everything goes to the run's stdout; errors go through runCli. */
export function printJson(value: unknown): void {
  cliIo().stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printLine(line: string): void {
  cliIo().stdout.write(line + '\n');
}

/** e.g. `job 3f2… succeeded on local in 0.4 ms: crc32c=3808858755 (9 bytes)` */
export function describeResult(record: ResultRecord): string {
  const head = `job ${record.job_id} ${record.status}`;
  if (record.status === 'succeeded') {
    const results = record.result === null ? [] : Array.isArray(record.result) ? record.result : [record.result];
    const values = results.map(describeOpResult).join(', ');
    return `${head} on ${record.substrate ?? 'unknown'} in ${formatMs(record.exec_time_ms)} ms: ${values} (${record.bytes_processed} bytes)`;
  }
  if (record.status === 'cancelled') return head;
  const error = record.error;
  const reason = error === null ? 'no error recorded'
    : `${error.code}: ${error.message}${error.path === undefined ? '' : ` (at ${error.path})`}`;
  return `${head} after ${record.attempts} attempt${record.attempts === 1 ? '' : 's'}: ${reason}`;
}

function describeOpResult(result: OpResult): string {
  return Object.entries(result).filter(([key]) => key !== 'bytes').map(([key, value]) => `${key}=${value}`).join(' ');
}

export function formatMs(ms: number): string {
  return ms < 1 ? ms.toFixed(2).replace(/0$/, '') : ms.toFixed(1);
}

/** Left-aligned columns separated by two spaces, with a header row. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
