import type { FastifyInstance } from 'fastify';
import { PacketFSError } from '../../errors.js';
import type { NodeService } from '../../dispatcher/node-service.js';
import type { MintRequest } from '../../trust/node-access.js';
import { joinTokenRequest } from '../../schema/join-token-schema.js';

/**
 * The operator's view of the volunteer pool (docs/trust.md):
 *   GET    /v1/nodes                connected nodes with reputation, plus verification totals
 *   DELETE /v1/nodes/:id            ban a node (closed now, refused from now on)
 *   GET    /v1/nodes/bans           banned nodes
 *   POST   /v1/nodes/tokens         mint a join token {ttl_s?, kind?, label?} (the token is shown once)
 *   GET    /v1/nodes/tokens         join tokens (ids and metadata, never the tokens)
 *   DELETE /v1/nodes/tokens/:id     revoke one
 * All behind the API token like every /v1 route.
 */
export function registerNodeRoutes(scope: FastifyInstance, nodes: NodeService): void {
  scope.get('/v1/nodes', async () => ({
    nodes: nodes.listNodes(),
    require_credential: nodes.requireCredential,
    verification: nodes.verificationStats(),
  }));

  scope.get('/v1/nodes/bans', async () => ({ bans: await nodes.listBans() }));

  scope.delete<{ Params: { id: string } }>('/v1/nodes/:id', async (request) => {
    const id = request.params.id;
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(id)) throw new PacketFSError('INVALID_REQUEST', 'a node id is 1..128 characters of A-Z a-z 0-9 . _ : -', { path: 'id' });
    const outcome = await nodes.banNode(id);
    if (outcome === 'not_found') throw new PacketFSError('NOT_FOUND', `no node ${JSON.stringify(id)} is connected or banned`);
    return { node_id: id, status: 'banned' };
  });

  scope.post('/v1/nodes/tokens', async (request, reply) => {
    const minted = await nodes.mintToken(mintRequest(request.body));
    return reply.code(201).send(minted);
  });

  scope.get('/v1/nodes/tokens', async () => ({ tokens: await nodes.listTokens() }));

  scope.delete<{ Params: { id: string } }>('/v1/nodes/tokens/:id', async (request) => {
    const revoked = await nodes.revokeToken(request.params.id);
    if (!revoked) throw new PacketFSError('NOT_FOUND', `no join token ${JSON.stringify(request.params.id)}`);
    return { id: request.params.id, status: 'revoked' };
  });
}

/** The body (absent means all defaults), checked against its schema (schema/join-token-schema.ts). */
function mintRequest(body: unknown): MintRequest {
  if (body === undefined || body === null) return {};
  if (!joinTokenRequest.check(body)) throw joinTokenRequest.fail(body);
  return body;
}
