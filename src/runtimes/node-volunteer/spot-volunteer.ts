import { startVolunteer, type Volunteer, type VolunteerOptions } from './volunteer-client.js';
import { drainGraceMs, watchSpotInterruption } from './spot-interruption.js';

export interface SpotVolunteerOptions extends VolunteerOptions {
  /** instance metadata endpoint; default http://169.254.169.254 */
  imdsUrl?: string;
  /** how often the notice is polled; default 5000 ms */
  imdsIntervalMs?: number;
  /** time before the interruption kept for sending results and leaving; default 15 000 ms */
  drainMarginMs?: number;
}

/**
 * `packetfs worker --coordinator … --spot`: a volunteer node on an EC2 spot
 * instance. When the interruption notice appears it drains: new work is
 * handed back at once, running jobs finish until shortly before the
 * interruption, and what is still running then is handed back by leaving
 * (the dispatcher re-runs it elsewhere).
 */
export function startSpotVolunteer(opts: SpotVolunteerOptions): Volunteer {
  const node = startVolunteer(opts);
  const watch = watchSpotInterruption({
    logger: opts.logger,
    ...(opts.imdsUrl === undefined ? {} : { imdsUrl: opts.imdsUrl }),
    ...(opts.imdsIntervalMs === undefined ? {} : { intervalMs: opts.imdsIntervalMs }),
    onNotice: ({ at }) => void node.drain(drainGraceMs(at, Date.now(), opts.drainMarginMs)),
  });
  void node.done.finally(() => watch.stop()).catch(() => undefined);
  return node;
}
