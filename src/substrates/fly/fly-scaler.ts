import { toErrorBody } from '../../errors.js';
import type { FlyMachine, MachinesApi } from './machines-api.js';

export interface FlyScalerOptions {
  api: MachinesApi;
  /** machines kept started even when idle */
  minMachines: number;
  maxMachines: number;
  /** jobs one started machine takes at once */
  jobsPerMachine: number;
  /** how long the queue must stay empty before machines above the minimum are stopped */
  idleStopMs: number;
  /** how long to wait for a started machine (Fly's wait endpoint allows up to 60 s) */
  startTimeoutS?: number;
  now?: () => number;
}

const ACTIVE = new Set(['started', 'starting']);
const STARTABLE = new Set(['stopped', 'suspended', 'created']);
const RELIST_MS = 5000;

/**
 * Keeps the app's machines between min and max, sized to the queue depth
 * (jobs in flight or waiting at this substrate):
 *
 *   wanted = clamp(ceil(depth / jobsPerMachine), min, max)
 *   active < wanted            → start stopped machines (until wanted or none left)
 *   depth 0 for idleStopMs     → stop started machines above min
 *
 * Scaling steps run one at a time (each starts from a fresh machine list),
 * so concurrent batches never start the same machine twice. The machines
 * are the app's existing ones: the adapter starts and stops, never creates
 * or destroys (`fly scale count` sets the maximum pool).
 */
export class FlyScaler {
  private readonly opts: Required<FlyScalerOptions>;
  private machines: FlyMachine[] = [];
  private step: Promise<void> = Promise.resolve();
  private idleSince: number | null = null;
  private listedAt = -Infinity;
  /** scaling steps queued or running */
  private pending = 0;
  lastError: string | null = null;

  constructor(opts: FlyScalerOptions) {
    this.opts = { startTimeoutS: 60, now: Date.now, ...opts };
  }

  /** Started (or starting) machines as of the last list. */
  get active(): number {
    return this.machines.filter((m) => ACTIVE.has(m.state)).length;
  }

  /**
   * Scales up for `depth` jobs. Resolves once at least one machine is
   * started (so a first batch is not sent into a cold app), otherwise at
   * once while further machines start in the background. Never rejects:
   * Machines API errors are kept in lastError for the health probe.
   */
  async scaleFor(depth: number): Promise<void> {
    this.idleSince = depth > 0 ? null : this.idleSince ?? this.opts.now();
    const wanted = Math.min(this.opts.maxMachines, Math.max(this.opts.minMachines, Math.ceil(depth / this.opts.jobsPerMachine)));
    if (this.active >= wanted && this.machines.length > 0) return;
    // nothing left to start as of a recent list: do not ask the API again on every batch
    if (this.opts.now() - this.listedAt < RELIST_MS && !this.machines.some((m) => STARTABLE.has(m.state))) return;
    const scaled = this.enqueue(() => this.startUpTo(wanted));
    if (this.active === 0) await scaled;
  }

  /** Resolves once every scaling step queued so far has finished (starts continue in the background after scaleFor). */
  settled(): Promise<void> {
    return this.step;
  }

  /** Called periodically: stops machines above the minimum once the queue has been empty long enough. */
  async stopIdle(depth: number): Promise<void> {
    if (depth > 0) {
      this.idleSince = null;
      return;
    }
    this.idleSince ??= this.opts.now();
    if (this.opts.now() - this.idleSince < this.opts.idleStopMs) return;
    // nothing to stop and no start under way that could change that: spare the API a call
    if (this.pending === 0 && this.active <= this.opts.minMachines) return;
    // decided inside the queue, after any start still in progress, from a fresh list
    await this.enqueue(async () => {
      this.machines = await this.opts.api.list();
      this.listedAt = this.opts.now();
      const extra = this.machines.filter((m) => m.state === 'started').slice(this.opts.minMachines);
      for (const machine of extra) {
        await this.opts.api.stop(machine.id);
        machine.state = 'stopped';
      }
    });
  }

  private async startUpTo(wanted: number): Promise<void> {
    this.machines = await this.opts.api.list();
    this.listedAt = this.opts.now();
    const toStart = this.machines.filter((m) => STARTABLE.has(m.state)).slice(0, Math.max(0, wanted - this.active));
    await Promise.all(toStart.map(async (machine) => {
      await this.opts.api.start(machine.id);
      machine.state = 'starting';
      await this.opts.api.waitStarted(machine.id, this.opts.startTimeoutS);
      machine.state = 'started';
    }));
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.pending++;
    this.step = this.step.then(task).then(
      () => { this.lastError = null; },
      (err: unknown) => { this.lastError = toErrorBody(err).message; },
    ).finally(() => { this.pending--; });
    return this.step;
  }
}
