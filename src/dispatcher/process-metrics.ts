import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * prom-client's default metrics (CPU, resident memory, open handles, heap,
 * GC, event-loop lag) describe the process, not one dispatcher: one registry
 * per process, created on the first scrape, so several dispatchers in one
 * process share one set of collectors instead of each starting its own
 * event-loop monitor.
 */
let registry: Registry | undefined;

export function processMetrics(): Registry {
  if (registry === undefined) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}
