import type { Static } from '@sinclair/typebox';
import { literalUnion, Type } from './type.js';
import { validator } from './validator.js';

/**
 * The body of POST /v1/nodes/tokens (mint a join token, docs/trust.md): the
 * request type, its check with the field at fault, and its schema in
 * /openapi.json (component JoinTokenRequest) all come from this one schema.
 */
export const MAX_JOIN_TOKEN_TTL_S = 366 * 86_400;

export const JoinTokenRequestSchema = Type.Object({
  ttl_s: Type.Optional(Type.Integer({
    minimum: 60, maximum: MAX_JOIN_TOKEN_TTL_S, description: 'seconds the token may be used to join; absent: no expiry',
    errorMessage: `ttl_s must be an integer number of seconds 60..${MAX_JOIN_TOKEN_TTL_S}`,
  })),
  kind: Type.Optional(literalUnion(['browser', 'node'] as const, { description: 'the only kind of node it admits; absent: either', errorMessage: 'kind must be "browser" or "node"' })),
  label: Type.Optional(Type.String({
    pattern: '^[\\x20-\\x7e]{1,64}$', minLength: 1, maxLength: 64, description: 'shown in the node list',
    errorMessage: 'label must be 1..64 printable ASCII characters',
  })),
}, { $id: 'JoinTokenRequest', additionalProperties: false, errorMessage: 'the body must be a JSON object {ttl_s?, kind?, label?}' });

export type JoinTokenRequest = Static<typeof JoinTokenRequestSchema>;

export const joinTokenRequest = validator(JoinTokenRequestSchema, { code: 'INVALID_REQUEST' });
