import type { ExecOutcome, ExecRequest, Substrate } from '../substrate.js';

/**
 * Hands checks to the arbiter (a trusted substrate) in batches: every check
 * asked for during one turn of the event loop goes out in one execute()
 * call, because the local pool is built for batches and thousands of
 * results arrive per second from nodes.
 */
export class ArbiterQueue {
  private pending: Array<{ req: ExecRequest; resolve: (outcome: ExecOutcome) => void }> = [];
  private scheduled = false;

  constructor(readonly substrate: Substrate) {}

  run(req: ExecRequest): Promise<ExecOutcome> {
    return new Promise((resolve) => {
      this.pending.push({ req, resolve });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    this.substrate.execute(batch.map((p) => p.req)).then(
      (outcomes) => {
        for (const [i, p] of batch.entries()) p.resolve(outcomes[i] ?? broken(`the arbiter returned ${outcomes.length} outcomes for ${batch.length} jobs`));
      },
      (err: unknown) => {
        for (const p of batch) p.resolve(broken(err instanceof Error ? err.message : String(err)));
      },
    );
  }
}

function broken(why: string): ExecOutcome {
  return { ok: false, retryable: true, exec_time_ms: 0, error: { code: 'SUBSTRATE_FAILED', message: `the arbiter failed: ${why}` } };
}
