import type { Command } from 'commander';
import { backupStore, storeInfo, type StoreInfo } from '../../store/sqlite/store-file.js';
import { formatTable, printJson, printLine } from '../output.js';

interface StoreFlags {
  dataDir: string;
  json?: boolean;
}

/** `packetfs store info|backup`: the SQLite job store in a data dir, read beside a running serve. */
export function registerStore(program: Command): void {
  const store = program.command('store').description('inspect or back up the SQLite job store of a data dir');
  store.command('info')
    .description('path, size, jobs by status and the oldest queued job')
    .option('--data-dir <dir>', 'the data dir of the store (default .data)', '.data')
    .option('--json', 'print JSON')
    .action((flags: StoreFlags) => {
      const info = storeInfo(flags.dataDir);
      if (flags.json) printJson(info);
      else printLine(describeInfo(info));
    });
  store.command('backup')
    .description('copy the store to FILE, safely while serve runs (SQLite online backup)')
    .argument('<file>', 'the backup file to create (never overwritten)')
    .option('--data-dir <dir>', 'the data dir of the store (default .data)', '.data')
    .option('--json', 'print JSON')
    .action(async (file: string, flags: StoreFlags) => {
      const done = await backupStore(flags.dataDir, file);
      if (flags.json) printJson(done);
      else printLine(`backed up to ${done.path} (${mib(done.bytes)})`);
    });
}

function describeInfo(info: StoreInfo): string {
  const c = info.counts;
  const oldest = info.oldest_queued === null ? 'none'
    : `${info.oldest_queued.job_id}, enqueued ${info.oldest_queued.enqueued_at} (${info.oldest_queued.age_s} s ago)`;
  return [
    `store   ${info.path}`,
    `size    ${mib(info.bytes)} (database ${mib(info.db_bytes)}, log ${mib(info.wal_bytes)}, ${info.free_pages} free pages of ${info.page_size} bytes)`,
    formatTable(['QUEUED', 'DELAYED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'],
      [[c.queued, info.delayed, c.running, c.succeeded, c.failed, c.cancelled].map(String)]),
    `oldest queued: ${oldest}`,
    info.dispatcher === null
      ? 'no dispatcher has this store open: nothing is running (jobs leased when one last stopped are queued again)'
      : `a dispatcher (pid ${info.dispatcher.pid}) has this store open: RUNNING is the number of jobs it reported leased ${info.dispatcher.age_s} s ago (leases live in its memory; it reports on change, checked every second)`,
  ].join('\n');
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
