/**
 * Where dispatchers sharing one store leave their live-stats snapshot for
 * each other (the dashboard's deployment-wide view). Optional on a JobStore:
 * a store only one process can use (memory) has no board, and the dashboard
 * then shows that process alone.
 */
export interface SnapshotBoard {
  /** stores this dispatcher's snapshot (JSON text); it disappears after ttlMs unless published again */
  publish(dispatcherId: string, snapshot: string, ttlMs: number): Promise<void>;
  /** the snapshots of every dispatcher that published within its TTL, as stored (unvalidated text) */
  readAll(): Promise<string[]>;
  /** removes this dispatcher's snapshot at once (clean shutdown) */
  withdraw(dispatcherId: string): Promise<void>;
}
