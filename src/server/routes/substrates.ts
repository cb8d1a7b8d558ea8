import type { FastifyInstance } from 'fastify';
import type { ServedDispatcher } from '../served-dispatcher.js';
import { DEFAULT_PAGE_LIMIT, MetricsQuery, queryReader } from '../../schema/query-schema.js';

const metricsQuery = queryReader(MetricsQuery);

/** /v1/substrates, /v1/metrics and /v1/costs: what the dispatcher can run on, how it went and what it cost. */
export function registerSubstrateRoutes(scope: FastifyInstance, dispatcher: ServedDispatcher): void {
  scope.get('/v1/substrates', async () => ({ substrates: await dispatcher.listSubstrates() }));

  scope.get('/v1/metrics', async (request) => {
    const { limit = DEFAULT_PAGE_LIMIT } = metricsQuery.parse(request.query);
    return dispatcher.getMetrics(limit);
  });

  scope.get('/v1/costs', async () => dispatcher.getCosts());
}
