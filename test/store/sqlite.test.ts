import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteJobStore } from '../../src/store/sqlite/sqlite-store.js';
import { runStoreConformance } from './conformance.js';

/** The shared JobStore conformance suite against a fresh database file per test, on a simulated and on the real clock. */
const root = mkdtempSync(join(tmpdir(), 'packetfs-sqlite-conf-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

runStoreConformance('sqlite (simulated clock)', async (opts) => {
  let now = Date.UTC(2025, 0, 1);
  const store = SqliteJobStore.open(join(root, `s${n++}`), { ...opts, now: () => now });
  return { store, advance: async (ms: number) => { now += ms; }, cleanup: () => store.close() };
});

// the real clock again only for the tests time can change (conformance.ts, CLOCK_FREE)
runStoreConformance('sqlite (real time)', async (opts) => {
  const store = SqliteJobStore.open(join(root, `r${n++}`), opts);
  return { store, cleanup: () => store.close() };
}, { clockOnly: true });
