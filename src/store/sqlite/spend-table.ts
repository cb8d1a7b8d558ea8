import type Database from 'better-sqlite3';
import type { SpendItem, SpendTotals } from '../job-store.js';
import { spendIncrements, spendKeys, spendTotalsOf } from '../spend-periods.js';

/**
 * Spend totals of the SQLite store (docs/costs.md): one row per (period,
 * substrate), the period a key of spend-periods.ts (`d:2026-12-02`,
 * `m:2026-12`). Its own table, created on open, so stores written before it
 * existed open unchanged and the jobs table's schema version stays.
 */
export class SpendTable {
  private readonly add: Database.Statement;
  private readonly read: Database.Statement;
  private readonly addTx: (rows: Array<[string, string, number]>) => void;

  constructor(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS spend (
      period    TEXT NOT NULL,
      substrate TEXT NOT NULL,
      usd       REAL NOT NULL,
      PRIMARY KEY (period, substrate)
    ) WITHOUT ROWID`);
    this.add = db.prepare('INSERT INTO spend (period, substrate, usd) VALUES (?, ?, ?) ON CONFLICT (period, substrate) DO UPDATE SET usd = usd + excluded.usd');
    this.read = db.prepare('SELECT substrate, usd FROM spend WHERE period = ?');
    this.addTx = db.transaction((rows: Array<[string, string, number]>) => {
      for (const [period, substrate, usd] of rows) this.add.run(period, substrate, usd);
    });
  }

  /** one transaction (nested in the writer thread's group transaction) */
  write(items: SpendItem[]): void {
    const rows: Array<[string, string, number]> = [];
    for (const [period, bySubstrate] of spendIncrements(items)) {
      for (const [substrate, usd] of bySubstrate) rows.push([period, substrate, usd]);
    }
    if (rows.length > 0) this.addTx(rows);
  }

  totals(at: number): SpendTotals {
    const keys = spendKeys(at);
    const rows = (period: string) => (this.read.all(period) as Array<{ substrate: string; usd: number }>).map((r) => [r.substrate, r.usd] as const);
    return spendTotalsOf(at, rows(keys.day), rows(keys.month));
  }
}
