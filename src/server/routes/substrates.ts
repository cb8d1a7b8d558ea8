import type { FastifyInstance } from 'fastify';
import type { ServedDispatcher } from '../served-dispatcher.js';
import { intParam, type Query } from '../query-params.js';

/** /v1/substrates, /v1/metrics and /v1/costs: what the dispatcher can run on, how it went and what it cost. */
export function registerSubstrateRoutes(scope: FastifyInstance, dispatcher: ServedDispatcher): void {
  scope.get('/v1/substrates', async () => ({ substrates: await dispatcher.listSubstrates() }));

  scope.get<{ Querystring: Query }>('/v1/metrics', async (request) => {
    const limit = intParam(request.query, 'limit', 1, 10_000, 100);
    return dispatcher.getMetrics(limit);
  });

  scope.get('/v1/costs', async () => dispatcher.getCosts());
}
