import type { Logger } from '../../logger.js';

/**
 * Watches EC2 instance metadata for the spot interruption notice (IMDSv2):
 *   PUT  /latest/api/token                      (X-aws-ec2-metadata-token-ttl-seconds) → a session token
 *   GET  /latest/meta-data/spot/instance-action (X-aws-ec2-metadata-token)             → 404 until a notice,
 *        then {"action": "terminate" | "stop" | "hibernate", "time": "<ISO time of the interruption>"}
 * AWS gives the notice two minutes ahead and suggests polling every 5 s. A
 * 401 means the session token expired: a new one is fetched. Any other
 * failure (metadata briefly unreachable) is logged and the next poll tries
 * again. onNotice is called once.
 */
export interface SpotWatchOptions {
  /** default http://169.254.169.254 */
  imdsUrl?: string;
  /** default 5000 */
  intervalMs?: number;
  logger: Logger;
  onNotice(notice: { action: string; at: number }): void;
}

const TOKEN_TTL_S = 21_600;
const CALL_TIMEOUT_MS = 2000;

export function watchSpotInterruption(opts: SpotWatchOptions): { stop(): void } {
  const base = (opts.imdsUrl ?? 'http://169.254.169.254').replace(/\/+$/, '');
  const intervalMs = opts.intervalMs ?? 5000;
  let token: string | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const newToken = async (): Promise<string> => {
    const reply = await fetch(`${base}/latest/api/token`, {
      method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_S) }, signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    if (!reply.ok) throw new Error(`IMDS token: HTTP ${reply.status}`);
    return (await reply.text()).trim();
  };

  const poll = async (): Promise<void> => {
    token ??= await newToken();
    const reply = await fetch(`${base}/latest/meta-data/spot/instance-action`, {
      headers: { 'x-aws-ec2-metadata-token': token }, signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    if (reply.status === 404) { await reply.arrayBuffer(); return; }
    if (reply.status === 401) { await reply.arrayBuffer(); token = null; return; }
    if (!reply.ok) throw new Error(`IMDS instance-action: HTTP ${reply.status}`);
    const body = await reply.json() as { action?: unknown; time?: unknown };
    const at = typeof body.time === 'string' ? Date.parse(body.time) : NaN;
    if (stopped) return;
    stopped = true;
    const notice = { action: typeof body.action === 'string' ? body.action : 'terminate', at: Number.isNaN(at) ? Date.now() + 120_000 : at };
    opts.logger.warn({ event: 'spot_interruption', action: notice.action, at: new Date(notice.at).toISOString() }, 'spot interruption notice: draining');
    opts.onNotice(notice);
  };

  const tick = (): void => {
    timer = null;
    poll().catch((err: unknown) => opts.logger.warn({ event: 'imds_failed', error: (err as Error).message }, 'instance metadata poll failed'))
      .finally(() => { if (!stopped) timer = setTimeout(tick, intervalMs); });
  };
  tick();
  return {
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}

/** Time left to finish running jobs: up to the interruption less a margin for sending results and saying bye. */
export function drainGraceMs(interruptionAt: number, now: number, marginMs = 15_000): number {
  return Math.max(0, interruptionAt - marginMs - now);
}
