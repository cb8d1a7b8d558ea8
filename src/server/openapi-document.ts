import { version } from '../version.js';
import { JobBatchSchema, JobSchema, OpSchema, ProgramSchema } from '../schema/job-schema.js';
import { JoinTokenRequestSchema } from '../schema/join-token-schema.js';
import { REPLY_SCHEMAS } from '../schema/reply-schema.js';
import { toOpenApiSchema } from '../schema/to-openapi.js';
import { ListJobsQuery, MetricsQuery, ResultQuery, SubmitQuery, queryParameters } from '../schema/query-schema.js';

/**
 * The OpenAPI 3.1 description of the HTTP API, served at /openapi.json.
 * Requests are described by the schemas the server validates with
 * (src/schema/: Job, Program, Op, JobBatch and the query parameters), so the
 * document and the validator cannot disagree; replies by the schemas in
 * src/schema/reply-schema.ts, which the reply types are checked against.
 * test/server/openapi.test.ts checks that it and the registered routes list
 * the same operations, and test/server/openapi-contract.test.ts drives the
 * server from it.
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const errorReply = (description: string) => ({ description, content: json(ref('Error')) });
const idParam = (what: string) => ({ name: 'id', in: 'path', required: true, description: `${what} id`, schema: { type: 'string' } });
const unauthorized = errorReply('UNAUTHORIZED: missing or wrong bearer token (only when the server has a token)');

/** Components: requests from the schemas the server validates with, replies from src/schema/reply-schema.ts. */
const replies = Object.fromEntries(REPLY_SCHEMAS.map((schema) => [schema.$id as string, toOpenApiSchema(schema)]));
const schemas = {
  ...replies,
  Op: toOpenApiSchema(OpSchema),
  Program: toOpenApiSchema(ProgramSchema),
  Job: toOpenApiSchema(JobSchema),
  JobBatch: toOpenApiSchema(JobBatchSchema),
  JobStatus: toOpenApiSchema(ListJobsQuery.properties.status),
  JoinTokenRequest: toOpenApiSchema(JoinTokenRequestSchema),
};

const blobRead = (method: 'get' | 'head') => ({
  operationId: method === 'get' ? 'getBlob' : 'headBlob',
  summary: method === 'get' ? 'Download a blob, or one range of it' : 'Size, ETag and range support of a blob',
  parameters: [
    idParam('blob'),
    { name: 'Range', in: 'header', required: false, description: 'one range: bytes=a-b, bytes=a- or bytes=-n', schema: { type: 'string' } },
    { name: 'If-Range', in: 'header', required: false, schema: { type: 'string' } },
    { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } },
  ],
  responses: {
    200: { description: 'the whole blob', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
    206: {
      description: 'the requested range (Content-Range: bytes a-b/size)',
      content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
    },
    304: { description: 'If-None-Match matched the ETag' },
    400: errorReply('INVALID_REQUEST: not a blob id (32 lowercase hex digits)'),
    401: unauthorized,
    404: errorReply('BLOB_NOT_FOUND'),
    416: errorReply('WINDOW_OUT_OF_RANGE: the range misses the blob (Content-Range: bytes */size)'),
  },
});

const html = { 'text/html; charset=utf-8': { schema: { type: 'string' } } };
const javascript = { 'text/javascript; charset=utf-8': { schema: { type: 'string' } } };
const publicAsset = (operationId: string, summary: string, content: object) => ({
  get: {
    operationId, summary, security: [],
    responses: { 200: { description: summary, content }, 304: { description: 'If-None-Match matched the ETag' } },
  },
});

type Operation = { responses: Record<string, unknown>; parameters?: unknown[] };

/**
 * Replies every operation can give, added where an operation does not list
 * its own: 400 for a request Node's parser or the router refuses (bad
 * Content-Length, control characters, malformed percent-encoding), 414 for
 * an id over 256 characters in the path.
 */
function withCommonReplies<P extends Record<string, Record<string, Operation>>>(paths: P): P {
  for (const [path, operations] of Object.entries(paths)) {
    for (const operation of Object.values(operations)) {
      const responses = operation.responses;
      responses[400] ??= errorReply('INVALID_REQUEST: a malformed request (bad percent-encoding, control characters, a bad Content-Length)');
      if (path.includes('{')) responses[414] ??= errorReply('URI_TOO_LONG: an id in the path is over 256 characters');
      // keep the replies in status order, as a reader expects
      operation.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)));
    }
  }
  return paths;
}

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'PacketFS Compute',
    version,
    description: 'Submit PacketFS jobs (byte ops over a window of data), follow them, and read their results.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  servers: [{ url: '/' }],
  security: [{ bearer: [] }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'required on /v1 routes when the server has a token' } },
    schemas,
  },
  paths: withCommonReplies({
    '/v1/jobs': {
      post: {
        operationId: 'submitJobs',
        summary: 'Submit one job, or a batch of up to 10,000 (with dry_run: only say where each would run and its cost estimate)',
        parameters: queryParameters(SubmitQuery),
        requestBody: { required: true, content: json({ oneOf: [ref('Job'), ref('JobBatch')] }) },
        responses: {
          200: { description: 'dry run: one DryRunOutcome, or {jobs: [DryRunOutcome]} for a batch', content: json({ oneOf: [ref('DryRunOutcome'), ref('DryRunBatch')] }) },
          202: { description: 'accepted', content: json({ oneOf: [ref('SubmitOutcome'), ref('BatchOutcome')] }) },
          400: errorReply('INVALID_JSON, or INVALID_JOB with the path at fault (e.g. jobs[3].program.imm)'),
          401: unauthorized,
          413: errorReply('PAYLOAD_TOO_LARGE: body over the limit or more than 10,000 jobs'),
          415: errorReply('UNSUPPORTED_MEDIA_TYPE: send application/json'),
          503: errorReply('STORE_UNAVAILABLE, SHUTTING_DOWN, or QUEUE_FULL (past max_queued_jobs or max_queued_bytes; see Retry-After)'),
        },
      },
      get: {
        operationId: 'listJobs',
        summary: 'Jobs with one status, newest first',
        parameters: queryParameters(ListJobsQuery),
        responses: {
          200: { description: 'one page', content: json(ref('ListPage')) },
          400: errorReply('INVALID_REQUEST: bad status, limit or cursor'),
          401: unauthorized,
        },
      },
    },
    '/v1/jobs/{id}': {
      get: {
        operationId: 'getJob',
        summary: 'Status, attempts, errors and (when finished) the result of a job',
        parameters: [idParam('job')],
        responses: { 200: { description: 'the job', content: json(ref('JobView')) }, 401: unauthorized, 404: errorReply('NOT_FOUND') },
      },
      delete: {
        operationId: 'cancelJob',
        summary: 'Cancel a queued or running job',
        parameters: [idParam('job')],
        responses: {
          200: { description: 'cancelled', content: json(ref('CancelOutcome')) },
          401: unauthorized,
          404: errorReply('NOT_FOUND'),
          409: errorReply('CONFLICT: the job has already finished'),
        },
      },
    },
    '/v1/jobs/{id}/events': {
      get: {
        operationId: 'jobEvents',
        summary: 'Server-Sent Events: `progress` ({job_id, status, progress?}) on every change, then `result` (the result record), then the stream ends',
        parameters: [idParam('job')],
        responses: {
          200: { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          401: unauthorized,
          404: errorReply('NOT_FOUND'),
        },
      },
    },
    '/v1/jobs/{id}/result': {
      get: {
        operationId: 'getResult',
        summary: 'The result record; with wait, long-polls until the job finishes',
        parameters: [
          idParam('job'),
          ...queryParameters(ResultQuery),
        ],
        responses: {
          200: { description: 'finished (succeeded, failed or cancelled)', content: json(ref('ResultRecord')) },
          202: { description: 'not finished yet', content: json(ref('PendingResult')) },
          400: errorReply('INVALID_REQUEST: wait out of range'),
          401: unauthorized,
          404: errorReply('NOT_FOUND'),
        },
      },
    },
    '/v1/blobs': {
      put: {
        operationId: 'uploadBlob',
        summary: 'Upload a blob (raw body, any content type, streamed)',
        requestBody: { required: true, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } },
        responses: {
          201: { description: 'stored (Location: /v1/blobs/<id>)', content: json(ref('BlobInfo')) },
          401: unauthorized,
          413: errorReply('PAYLOAD_TOO_LARGE: over the blob or storage limit'),
        },
      },
    },
    '/v1/blobs/{id}': {
      get: blobRead('get'),
      head: blobRead('head'),
      options: {
        operationId: 'preflightBlob',
        summary: 'CORS preflight for cross-origin blob reads (Range and a bearer token)',
        security: [],
        parameters: [idParam('blob')],
        responses: { 204: { description: 'Access-Control-Allow-Origin: *, methods GET and HEAD, headers authorization, range, if-range, if-none-match' } },
      },
    },
    '/v1/nodes': {
      get: {
        operationId: 'listNodes',
        summary: 'Connected volunteer nodes with their reputation, and verification totals',
        responses: {
          200: { description: 'nodes', content: json(ref('NodeList')) },
          401: unauthorized,
        },
      },
    },
    '/v1/nodes/{id}': {
      delete: {
        operationId: 'banNode',
        summary: 'Ban a node: its connection closes (4001) and its id and join token are refused from now on',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } }],
        responses: {
          200: { description: 'banned', content: json(ref('BanOutcome')) },
          400: errorReply('INVALID_REQUEST: not a node id'),
          401: unauthorized,
          404: errorReply('NOT_FOUND: no such node connected or banned'),
        },
      },
    },
    '/v1/nodes/bans': {
      get: {
        operationId: 'listBans',
        summary: 'Banned nodes',
        responses: { 200: { description: 'bans', content: json(ref('BanList')) }, 401: unauthorized },
      },
    },
    '/v1/nodes/tokens': {
      post: {
        operationId: 'createNodeToken',
        summary: 'Mint a join token for one node',
        requestBody: { required: false, content: json(ref('JoinTokenRequest')) },
        responses: {
          201: { description: 'the token, shown once', content: json(ref('JoinToken')) },
          400: errorReply('INVALID_REQUEST with the field at fault'),
          401: unauthorized,
        },
      },
      get: {
        operationId: 'listNodeTokens',
        summary: 'Join tokens (metadata only)',
        responses: { 200: { description: 'tokens', content: json(ref('JoinTokenList')) }, 401: unauthorized },
      },
    },
    '/v1/nodes/tokens/{id}': {
      delete: {
        operationId: 'revokeNodeToken',
        summary: 'Revoke a join token; nodes using it are disconnected',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{16}$' } }],
        responses: {
          200: { description: 'revoked', content: json(ref('RevokeOutcome')) },
          400: errorReply('INVALID_REQUEST: not a token id'),
          401: unauthorized,
          404: errorReply('NOT_FOUND: no such token'),
        },
      },
    },
    '/v1/substrates': {
      get: {
        operationId: 'listSubstrates',
        summary: 'Substrates with capabilities, health and current scores',
        responses: {
          200: { description: 'substrates', content: json(ref('SubstrateList')) },
          401: unauthorized,
        },
      },
    },
    '/v1/metrics': {
      get: {
        operationId: 'getMetrics',
        summary: 'Recent per-job metric records and per-substrate aggregates',
        parameters: queryParameters(MetricsQuery),
        responses: {
          200: { description: 'metrics', content: json(ref('MetricsReport')) },
          400: errorReply('INVALID_REQUEST: limit out of range'),
          401: unauthorized,
        },
      },
    },
    '/v1/costs': {
      get: {
        operationId: 'getCosts',
        summary: 'Spend this UTC month and day by substrate, the budget with what is left of each limit, and the month\'s forecast (docs/costs.md)',
        responses: {
          200: { description: 'costs', content: json(ref('CostsReport')) },
          401: unauthorized,
        },
      },
    },
    '/v1/dashboard': {
      get: {
        operationId: 'getDashboard',
        summary: 'One frame of the live dashboard: deployment-wide numbers merged from every dispatcher sharing the store (docs/dashboard.md)',
        responses: {
          200: {
            description: 'a dashboard frame',
            content: json(ref('DashboardFrame')),
          },
          401: unauthorized,
        },
      },
    },
    '/v1/dashboard/stream': {
      get: {
        operationId: 'streamDashboard',
        summary: 'Server-Sent Events: one dashboard frame (`data: {...}`) per second, the same shape as GET /v1/dashboard',
        responses: {
          200: { description: 'an event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
          401: unauthorized,
          429: errorReply('TOO_MANY_STREAMS: every stream slot is taken'),
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'prometheus',
        summary: 'Prometheus exposition',
        security: [],
        responses: { 200: { description: 'metrics', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } } } },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Liveness',
        security: [],
        responses: { 200: { description: 'alive', content: json(ref('HealthReport')) } },
      },
    },
    '/readyz': {
      get: {
        operationId: 'ready',
        summary: 'Readiness: store reachable, a substrate healthy, not draining',
        security: [],
        responses: {
          200: { description: 'ready', content: json(ref('ReadyReport')) },
          503: { description: 'not ready (the report plus an error)', content: json(ref('ReadyReport')) },
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        security: [],
        responses: { 200: { description: 'OpenAPI 3.1 document', content: json({ type: 'object' }) } },
      },
    },
    '/volunteer': publicAsset('volunteerPage', 'The volunteer page: lends this browser\'s cores to the dispatcher (docs/dashboard.md)', html),
    '/browser-runtime.js': publicAsset('browserRuntime', 'The browser runtime as a classic script (window.PacketFS), for pages that run jobs', javascript),
    '/v1/nodes/ws': {
      get: {
        operationId: 'nodeSocket',
        summary: 'The node protocol over WebSocket (docs/protocol.md): volunteer browsers and Node processes connect here with a node credential, not the API token',
        security: [],
        parameters: [
          { name: 'Upgrade', in: 'header', required: true, schema: { type: 'string', const: 'websocket' } },
          { name: 'Connection', in: 'header', required: true, schema: { type: 'string' } },
        ],
        responses: {
          101: { description: 'switched to the WebSocket protocol; the node sends `register` first' },
          426: errorReply('INVALID_REQUEST: a plain GET; connect with a WebSocket upgrade'),
          // a WebSocket endpoint has no 2xx: this names what else can come back (and satisfies linters that want one)
          default: { description: 'no other HTTP reply: credentials and protocol errors arrive over the socket as {"type": "error", "code", "message"} before it closes' },
        },
      },
    },
  }),
};
