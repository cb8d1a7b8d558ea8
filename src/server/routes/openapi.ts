import type { FastifyInstance } from 'fastify';
import { openApiDocument } from '../openapi-document.js';

export function registerOpenApiRoute(app: FastifyInstance): void {
  // serialised once: the document never changes while the process runs
  const body = JSON.stringify(openApiDocument);
  app.get('/openapi.json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body));
}
