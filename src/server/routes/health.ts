import type { FastifyInstance } from 'fastify';
import { PacketFSError } from '../../errors.js';
import type { ReadyReport, ServedDispatcher } from '../served-dispatcher.js';

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Probes and scraping: /healthz (the process answers), /readyz (it can take
 * work: store reachable, substrates up, not draining) and /metrics for
 * Prometheus. These stay open when a token is configured, because load
 * balancers and scrapers do not carry it.
 */
export function registerHealthRoutes(app: FastifyInstance, dispatcher: ServedDispatcher): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const report = await dispatcher.ready();
    if (report.ready) return report;
    // the report plus the error shape every non-2xx reply carries
    const reason = notReadyReason(report);
    return reply.code(503).header('retry-after', '1').send({ ...report, error: reason.toJSON() });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await dispatcher.prometheus();
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(text);
  });
}

function notReadyReason(report: ReadyReport): PacketFSError {
  if (!report.store) return new PacketFSError('STORE_UNAVAILABLE', 'the job store cannot be reached');
  if (report.substrates === 0) return new PacketFSError('NO_SUBSTRATE', 'no substrate is healthy', { status: 503 });
  return new PacketFSError('SHUTTING_DOWN', 'the dispatcher is draining');
}
