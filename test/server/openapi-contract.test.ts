import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { serveDispatcher, type Served } from './harness.js';
import { RawNode } from '../nodes/raw-node.js';

/**
 * The served /openapi.json as a contract, probed against the live server:
 * every bound and choice the document states for a job, a program and a
 * query parameter is turned into values on both sides of it — the ones it
 * allows must be accepted, the ones it excludes refused with the field's
 * path — and every reply the probes get is checked against the schema the
 * document gives for that status. Values are derived from the document
 * (minimum, maximum, exclusiveMinimum, enum/const, maxItems, minItems,
 * maxLength, pattern, examples, type), not written here, so a bound added
 * to the schema is probed without touching this test.
 */
type Schema = Record<string, any>;
interface Probe { value: unknown; why: string }

const BLOB = '0123456789abcdef0123456789abcdef';

describe('the served /openapi.json, probed against the server', () => {
  let served: Served;
  let doc: any;
  let ajv: Ajv2020;
  const checked = new Map<string, number>();
  before(async () => {
    served = await serveDispatcher({ dispatcher: { allowUnverified: true } });
    doc = await (await fetch(`${served.url}/openapi.json`)).json();
    ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: false });
    ajv.addSchema({ $id: 'openapi', components: doc.components, paths: doc.paths });
  });
  after(async () => {
    await served.close();
  });

  const resolve = (schema: Schema): Schema => {
    if (typeof schema?.$ref !== 'string') return schema;
    const name = schema.$ref.replace('#/components/schemas/', '');
    return resolve(doc.components.schemas[name]);
  };
  const validators = new Map<string, ValidateFunction>();
  /** The documented reply for a status (or the operation's `default`), with the key it is documented under. */
  const responseSchema = (path: string, method: string, status: number): { key: string; reply: Schema } | undefined => {
    const responses = doc.paths[path]?.[method]?.responses ?? {};
    if (responses[status] !== undefined) return { key: String(status), reply: responses[status] };
    return responses.default === undefined ? undefined : { key: 'default', reply: responses.default };
  };

  /** One request; the reply must be a documented status of that operation and match its JSON schema. */
  async function call(method: string, docPath: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
    const init: RequestInit = body === undefined ? { method } : { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
    const res = await fetch(`${served.url}${url}`, init);
    const text = await res.text();
    const documented = responseSchema(docPath, method.toLowerCase(), res.status);
    assert.ok(documented !== undefined, `${method} ${url}: status ${res.status} is documented (${text.slice(0, 200)})`);
    const json = documented.reply.content?.['application/json'];
    if (json !== undefined) {
      const key = `${docPath} ${method} ${res.status}`;
      let validate = validators.get(key);
      if (validate === undefined) {
        validate = ajv.compile({ $ref: `openapi#/paths/${docPath.replaceAll('~', '~0').replaceAll('/', '~1')}/${method.toLowerCase()}/responses/${documented.key}/content/application~1json/schema` });
        validators.set(key, validate);
      }
      const parsed = JSON.parse(text);
      assert.ok(validate(parsed), `${key}: reply matches its schema: ${ajv.errorsText(validate.errors)}\n${text.slice(0, 300)}`);
      checked.set(key, (checked.get(key) ?? 0) + 1);
      return { status: res.status, body: parsed };
    }
    return { status: res.status, body: text };
  }

  /** Values on both sides of everything a schema states. */
  function probes(raw: Schema): { valid: Probe[]; invalid: Probe[] } {
    const schema = resolve(raw);
    const valid: Probe[] = [];
    const invalid: Probe[] = [];
    for (const example of schema.examples ?? []) valid.push({ value: example, why: 'example' });
    if (schema.default !== undefined) valid.push({ value: schema.default, why: 'default' });
    const variants: Schema[] = schema.anyOf ?? schema.oneOf ?? [];
    if (variants.length > 0) {
      for (const v of variants) {
        const inner = probes(v);
        valid.push(...inner.valid.map((p) => ({ ...p, why: `variant: ${p.why}` })));
      }
      if (variants.every((v) => resolve(v).const !== undefined)) invalid.push({ value: 'not-one-of-them', why: 'outside the enum' });
      if (!variants.some((v) => ['object', 'array'].includes(resolve(v).type))) invalid.push({ value: { x: 1 }, why: 'an object' });
      // `X or null`: what X refuses (other than null) is refused
      const nonNull = variants.filter((v) => resolve(v).type !== 'null');
      if (nonNull.length === 1 && nonNull.length < variants.length) invalid.push(...probes(nonNull[0]!).invalid.filter((p) => p.value !== null));
      return { valid, invalid };
    }
    if (schema.const !== undefined) valid.push({ value: schema.const, why: 'const' });
    for (const e of schema.enum ?? []) valid.push({ value: e, why: 'enum' });
    switch (schema.type) {
      case 'integer': case 'number': {
        const step = schema.type === 'integer' ? 1 : 0.5;
        if (schema.minimum !== undefined) {
          valid.push({ value: schema.minimum, why: 'minimum' });
          invalid.push({ value: schema.minimum - step, why: 'below minimum' });
        }
        if (schema.exclusiveMinimum !== undefined) {
          valid.push({ value: schema.exclusiveMinimum + step, why: 'above exclusiveMinimum' });
          invalid.push({ value: schema.exclusiveMinimum, why: 'at exclusiveMinimum' });
        }
        if (schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER) {
          valid.push({ value: schema.maximum, why: 'maximum' });
          invalid.push({ value: schema.maximum + step, why: 'above maximum' });
        }
        if (schema.type === 'integer') invalid.push({ value: (schema.minimum ?? 0) + 0.5, why: 'a fraction' });
        invalid.push({ value: 'seven', why: 'a string' });
        break;
      }
      case 'string':
        if (schema.pattern !== undefined) {
          const outside = ['!! not it !!', '\u0007bell', 'é'].find((v) => !new RegExp(schema.pattern).test(v));
          if (outside !== undefined) invalid.push({ value: outside, why: 'outside the pattern' });
        }
        if (schema.minLength > 0) invalid.push({ value: '', why: 'under minLength' });
        if (schema.maxLength !== undefined) invalid.push({ value: 'a'.repeat(schema.maxLength + 1), why: 'over maxLength' });
        invalid.push({ value: 12, why: 'a number' });
        break;
      case 'null':
        valid.push({ value: null, why: 'null' });
        break;
      case 'boolean':
        valid.push({ value: true, why: 'true' }, { value: false, why: 'false' });
        invalid.push({ value: 'yes', why: 'a string' });
        break;
      case 'array': {
        const item = probes(schema.items ?? {}).valid[0];
        if (item !== undefined) {
          valid.push({ value: [item.value], why: 'one item' });
          if (schema.maxItems !== undefined && schema.maxItems <= 100) {
            valid.push({ value: new Array(schema.maxItems).fill(item.value), why: 'maxItems' });
            invalid.push({ value: new Array(schema.maxItems + 1).fill(item.value), why: 'over maxItems' });
          }
        }
        if (schema.minItems === 1) invalid.push({ value: [], why: 'empty' });
        invalid.push({ value: 'x', why: 'not an array' });
        break;
      }
      case 'object':
        if (schema.additionalProperties === true || Object.keys(schema.properties ?? {}).length === 0) valid.push({ value: {}, why: 'empty object' });
        invalid.push({ value: [1], why: 'an array' });
        break;
    }
    return { valid, invalid };
  }

  /** A job whose one field (or program field) is replaced; the other fields are the smallest valid job. */
  function jobWith(where: 'job' | 'program', field: string, value: unknown): Record<string, unknown> {
    const program: Record<string, unknown> = { op: 'counteq', imm: 7, blob: BLOB };
    const job: Record<string, unknown> = { program };
    if (where === 'job') {
      job[field] = value;
      // split needs a blob or URL, which the base program has
      return job;
    }
    if (['ops', 'operations', 'instructions', 'single'].includes(field)) delete program.op;
    if (field === 'single') program.ops = ['crc32c'];
    if (['data', 'data_url'].includes(field)) delete program.blob;
    program[field] = value;
    return job;
  }

  /** A refused value must be refused for the field probed (or a field inside it). */
  function assertRefused(reply: { status: number; body: any }, path: string, label: string): void {
    assert.ok(reply.status === 400 || reply.status === 413, `${label}: refused (got ${reply.status} ${JSON.stringify(reply.body)})`);
    assert.ok(reply.body.error.path === path || reply.body.error.path.startsWith(`${path}.`) || reply.body.error.path.startsWith(`${path}[`),
      `${label}: names ${path} (got ${reply.body.error.path})`);
  }

  test('every job and program field: values the document allows are accepted, values outside its bounds are refused with the field', async () => {
    let accepted = 0;
    let refused = 0;
    for (const [where, component] of [['job', 'Job'], ['program', 'Program']] as const) {
      const schema = doc.components.schemas[component];
      for (const [field, fieldSchema] of Object.entries(schema.properties as Record<string, Schema>)) {
        if (field === 'program') continue;
        const { valid, invalid } = probes(fieldSchema);
        const path = where === 'job' ? field : `program.${field}`;
        for (const probe of valid) {
          const job = jobWith(where, field, probe.value);
          const reply = await call('POST', '/v1/jobs', '/v1/jobs', job);
          const label = `${path} = ${JSON.stringify(probe.value).slice(0, 60)} (${probe.why})`;
          // a size limit the field's description names (413) is the one documented exception to "allowed"
          const documentedLimit = reply.status === 413 && String(resolve(fieldSchema).description ?? '').includes('413');
          assert.ok(reply.status === 202 || documentedLimit, `${label}: accepted (got ${reply.status} ${JSON.stringify(reply.body)})`);
          accepted++;
        }
        for (const probe of invalid) {
          const reply = await call('POST', '/v1/jobs', '/v1/jobs', jobWith(where, field, probe.value));
          assertRefused(reply, path, `${path} = ${JSON.stringify(probe.value).slice(0, 60)} (${probe.why})`);
          refused++;
        }
      }
    }
    // the document states enough to probe: a few dozen each way
    assert.ok(accepted > 40 && refused > 40, `${accepted} accepted, ${refused} refused`);
  });

  test('an unknown field, a missing program and a batch over maxItems are refused as the document says', async () => {
    assertRefused(await call('POST', '/v1/jobs', '/v1/jobs', { ...jobWith('job', 'priority', 1), colour: 'red' }), 'colour', 'additionalProperties: false');
    assertRefused(await call('POST', '/v1/jobs', '/v1/jobs', { priority: 1 }), 'program', 'program is required');
    const max = doc.components.schemas.JobBatch.properties.jobs.maxItems;
    const job = jobWith('job', 'priority', 1);
    // dry_run: the whole batch is validated, nothing is enqueued
    assert.equal((await call('POST', '/v1/jobs', '/v1/jobs?dry_run=1', { jobs: new Array(max).fill(job) })).status, 200);
    const over = await call('POST', '/v1/jobs', '/v1/jobs?dry_run=1', { jobs: new Array(max + 1).fill(job) });
    assertRefused(over, 'jobs', 'over maxItems');
  });

  test('every query parameter: allowed values are accepted, values outside its bounds are refused naming it', async () => {
    // something to list and a finished job to read
    const first = await call('POST', '/v1/jobs', '/v1/jobs', { jobs: [jobWith('job', 'priority', 1), jobWith('job', 'priority', 2)] });
    const jobId: string = first.body.job_ids[0];
    // finished (its blob does not exist), so `wait` probes answer at once
    assert.equal((await call('GET', '/v1/jobs/{id}/result', `/v1/jobs/${jobId}/result?wait=10`)).status, 200);
    const operations: Array<[string, string, string, Record<string, string>]> = [
      ['GET', '/v1/jobs', '/v1/jobs', { status: 'queued' }],
      ['GET', '/v1/jobs/{id}/result', `/v1/jobs/${jobId}/result`, {}],
      ['GET', '/v1/metrics', '/v1/metrics', {}],
      ['POST', '/v1/jobs', '/v1/jobs', {}],
    ];
    let probed = 0;
    for (const [method, docPath, url, base] of operations) {
      const params = (doc.paths[docPath][method.toLowerCase()].parameters ?? []).filter((p: Schema) => p.in === 'query');
      assert.ok(params.length > 0, `${method} ${docPath} has query parameters`);
      for (const param of params) {
        const { valid, invalid } = probes(param.schema);
        const send = (value: unknown) => {
          const query = new URLSearchParams({ ...base, [param.name]: String(value) });
          return call(method, docPath, `${url}?${query}`, method === 'POST' ? jobWith('job', 'priority', 0) : undefined);
        };
        for (const probe of valid) {
          const reply = await send(probe.value);
          assert.ok(reply.status < 300, `${param.name}=${String(probe.value)} (${probe.why}): accepted (got ${reply.status} ${JSON.stringify(reply.body)})`);
          probed++;
        }
        // query values are text: a "number" probe for a string parameter is a string too
        for (const probe of invalid.filter((p) => typeof p.value !== 'object' && !(p.why === 'a number' && resolve(param.schema).type === 'string'))) {
          const reply = await send(probe.value);
          assert.equal(reply.status, 400, `${param.name}=${String(probe.value)} (${probe.why}): refused`);
          assert.equal(reply.body.error.path, param.name);
          probed++;
        }
        if (param.required) {
          const rest = new URLSearchParams(Object.entries(base).filter(([k]) => k !== param.name));
          const reply = await call(method, docPath, `${url}?${rest}`);
          assert.equal(reply.status, 400, `${param.name} is required`);
        }
      }
    }
    // the opaque cursor: a next_cursor the server returned is accepted
    const page = await call('GET', '/v1/jobs', '/v1/jobs?status=queued&limit=1');
    if (page.body.next_cursor !== null) {
      assert.equal((await call('GET', '/v1/jobs', `/v1/jobs?status=queued&limit=1&cursor=${encodeURIComponent(page.body.next_cursor)}`)).status, 200);
    }
    assert.ok(probed > 20, `${probed} query probes`);
  });

  test('every field of a join-token request: allowed values are accepted, values outside its bounds are refused naming it', async () => {
    const body = resolve(doc.paths['/v1/nodes/tokens'].post.requestBody.content['application/json'].schema);
    let accepted = 0;
    let refused = 0;
    for (const [field, fieldSchema] of Object.entries(body.properties as Record<string, Schema>)) {
      const { valid, invalid } = probes(fieldSchema);
      for (const probe of valid) {
        const reply = await call('POST', '/v1/nodes/tokens', '/v1/nodes/tokens', { [field]: probe.value });
        assert.equal(reply.status, 201, `${field} = ${JSON.stringify(probe.value)} (${probe.why}): accepted (got ${JSON.stringify(reply.body)})`);
        accepted++;
      }
      for (const probe of invalid) {
        assertRefused(await call('POST', '/v1/nodes/tokens', '/v1/nodes/tokens', { [field]: probe.value }), field, `${field} = ${JSON.stringify(probe.value).slice(0, 60)} (${probe.why})`);
        refused++;
      }
    }
    assert.equal(body.additionalProperties, false);
    assertRefused(await call('POST', '/v1/nodes/tokens', '/v1/nodes/tokens', { ttl: 60 }), 'ttl', 'additionalProperties: false');
    assert.ok(accepted >= 4 && refused >= 8, `${accepted} accepted, ${refused} refused`);
  });

  test('the other operations answer in their documented shapes, errors included', async () => {
    const put = await fetch(`${served.url}/v1/blobs`, { method: 'PUT', body: new Uint8Array([1, 2, 3]) });
    assert.equal(put.status, 201);
    const submitted = await call('POST', '/v1/jobs', '/v1/jobs', jobWith('job', 'job_id', 'contract-1'));
    await call('GET', '/v1/jobs/{id}/result', `/v1/jobs/${submitted.body.job_id}/result?wait=10`);
    // a result of several ops (an array of OpResult, one shape per op), and a connected node, so NodeView is checked with its record and capabilities
    const allOps = ['counteq', 'crc32c', 'fnv64', 'xor', 'add'].map((op) => ({ op, imm: 7 }));
    const multi = await call('POST', '/v1/jobs', '/v1/jobs', { job_id: 'contract-ops', program: { ops: allOps, data: 'AAECAwcHBw==' } });
    const multiResult = await call('GET', '/v1/jobs/{id}/result', `/v1/jobs/${multi.body.job_id}/result?wait=10`);
    assert.equal(multiResult.body.result.length, 5, JSON.stringify(multiResult.body));
    const { node } = await RawNode.register(served.url);
    const listed = await call('GET', '/v1/nodes', '/v1/nodes');
    assert.equal(listed.body.nodes.length, 1, JSON.stringify(listed.body));
    await node.close();
    const gets: Array<[string, string]> = [
      ['/v1/jobs/{id}', '/v1/jobs/contract-1'], ['/v1/jobs/{id}', '/v1/jobs/no-such-job'], ['/v1/jobs/{id}/result', '/v1/jobs/no-such-job/result'],
      ['/v1/substrates', '/v1/substrates'], ['/v1/metrics', '/v1/metrics'], ['/v1/nodes', '/v1/nodes'], ['/v1/nodes/bans', '/v1/nodes/bans'],
      ['/v1/nodes/tokens', '/v1/nodes/tokens'], ['/v1/dashboard', '/v1/dashboard'], ['/healthz', '/healthz'], ['/readyz', '/readyz'],
      ['/v1/blobs/{id}', '/v1/blobs/zz'], ['/v1/blobs/{id}', `/v1/blobs/${BLOB}`], ['/v1/nodes/ws', '/v1/nodes/ws'],
      ['/v1/jobs/{id}', `/v1/jobs/${'x'.repeat(300)}`],
    ];
    if (doc.paths['/v1/costs'] !== undefined) gets.push(['/v1/costs', '/v1/costs']);
    for (const [docPath, url] of gets) await call('GET', docPath, url);
    await call('POST', '/v1/nodes/tokens', '/v1/nodes/tokens', { ttl_s: 3600, kind: 'node', label: 'contract' });
    await call('POST', '/v1/nodes/tokens', '/v1/nodes/tokens', { ttl_s: 1 });
    await call('DELETE', '/v1/jobs/{id}', '/v1/jobs/contract-1');
    await call('DELETE', '/v1/jobs/{id}', '/v1/jobs/no-such-job');
    await call('DELETE', '/v1/nodes/tokens/{id}', '/v1/nodes/tokens/0123456789abcdef');
    await call('POST', '/v1/jobs', '/v1/jobs', undefined);
    // every JSON reply schema that was hit was checked
    assert.ok(checked.size > 25, `${checked.size} (operation, status) reply schemas checked`);
  });
});
