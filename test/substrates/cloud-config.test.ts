import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSubstrates, checkSubstrates } from '../../src/config/index.js';
import { PacketFSError } from '../../src/errors.js';
import { startHttpWorker, type HttpWorker } from '../../src/runtimes/http-server/index.js';
import type { SubstrateView } from '../../src/dispatcher/api.js';
import { runCli, spawnCli } from '../cli/run-cli.js';

/** packetfs.config.json `substrates`: validation with field paths, secrets from the environment, and `packetfs serve` using them. */
const ENTRIES = [
  { type: 'lambda', name: 'lambda-eu', region: 'eu-west-1', function_name: 'packetfs', credentials_env: { access_key_id: 'T_AK', secret_access_key: 'T_SK' } },
  { type: 'lambda', name: 'lambda-us', region: 'us-east-1', function_name: 'packetfs' },
  { type: 'cloudflare', name: 'cf', url: 'https://packetfs.example.workers.dev', token_env: 'T_CF' },
  { type: 'vercel', name: 'vc', url: 'https://packetfs.vercel.app/api', token_env: 'T_CF', pricing: { model: 'per_invocation', usd_per_invocation: 0.000001 } },
  { type: 'fly', name: 'fly', url: 'https://packetfs.fly.dev', machines: { app: 'packetfs', api_token_env: 'T_FLY', min: 0, max: 3 } },
  { type: 'cloudrun', name: 'run', url: 'https://packetfs-abc-ew.a.run.app', limits: { max_batch: 200, concurrency: 4 } },
];
const ENV = { T_AK: 'AKIDSECRET', T_SK: 'secret-key-value', T_CF: 'cf-secret-token', T_FLY: 'fly-secret-token' };

function rejects(value: unknown, path: string, message?: RegExp): void {
  assert.throws(() => checkSubstrates(value), (err: unknown) => {
    assert.ok(err instanceof PacketFSError);
    assert.equal(err.code, 'INVALID_REQUEST');
    assert.equal(err.path, path, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('substrate configuration', () => {
  it('builds every type, several instances of one, with secrets from the environment and pricing overrides', async () => {
    const subs = buildSubstrates(checkSubstrates(ENTRIES), { env: ENV, publicOrigin: 'https://dispatch.example.com' });
    assert.deepEqual(subs.map((s) => `${s.type}:${s.name}`), ['lambda:lambda-eu', 'lambda:lambda-us', 'cloudflare:cf', 'vercel:vc', 'fly:fly', 'cloudrun:run']);
    assert.deepEqual(subs[3]!.capabilities().pricing, { model: 'per_invocation', usd_per_invocation: 0.000001 });
    assert.equal(subs[0]!.capabilities().pricing.model, 'per_gb_second');
    assert.equal(subs[4]!.capabilities().pricing.model, 'per_hour');
    const shown = JSON.stringify(subs.map((s) => s.capabilities()));
    for (const secret of Object.values(ENV)) assert.ok(!shown.includes(secret));
    await Promise.all(subs.map((s) => s.close()));
  });

  it('names the field at fault', () => {
    rejects({}, 'substrates');
    rejects([{ type: 'azure', name: 'x' }], 'substrates[0].type', /one of cloudflare, lambda, fly, cloudrun, vercel/);
    rejects([ENTRIES[2], { type: 'cloudflare', name: 'cf2' }], 'substrates[1].url', /required/);
    rejects([{ type: 'cloudflare', name: 'cf', url: 'ftp://x' }], 'substrates[0].url');
    rejects([{ type: 'cloudflare', name: 'cf', url: 'https://x', token: 'abc' }], 'substrates[0].token', /token_env/);
    rejects([{ type: 'cloudflare', name: 'cf', url: 'https://x', tokn_env: 'A' }], 'substrates[0].tokn_env', /unknown key/);
    rejects([{ type: 'lambda', name: 'l', region: 'eu-west-1' }], 'substrates[0].function_name');
    rejects([{ type: 'lambda', name: 'l', region: 'r', function_name: 'f', credentials_env: { access_key_id: 'has space', secret_access_key: 'S' } }], 'substrates[0].credentials_env.access_key_id');
    rejects([ENTRIES[2], ENTRIES[2]], 'substrates[1].name', /already used/);
    rejects([{ ...ENTRIES[2], name: 'local' }], 'substrates[0].name', /already used/);
    rejects([{ ...ENTRIES[4], machines: { app: 'a', api_token_env: 'T', min: 4, max: 2 } }], 'substrates[0].machines.min');
    rejects([{ ...ENTRIES[2], pricing: { model: 'per_hour' } }], 'substrates[0].pricing.usd_per_hour');
    rejects([{ ...ENTRIES[2], pricing: { usd_per_hour: 1 } }], 'substrates[0].pricing.model');
    rejects([{ ...ENTRIES[2], limits: { max_batch: 5000 } }], 'substrates[0].limits.max_batch', /1 to 1000/);
  });

  it('an unset secret variable is an error naming the field, not its value', () => {
    assert.throws(() => buildSubstrates(checkSubstrates(ENTRIES), { env: { ...ENV, T_FLY: '' } }), (err: unknown) => {
      assert.ok(err instanceof PacketFSError);
      assert.equal(err.path, 'substrates[4].machines.api_token_env');
      assert.match(err.message, /T_FLY is not set/);
      return true;
    });
  });
});

describe('packetfs serve with cloud substrates', () => {
  let dir: string;
  let worker: HttpWorker;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pfs-cloud-config-'));
    worker = await startHttpWorker({ port: 0, host: '127.0.0.1', token: 'edge-secret', handleSignals: false });
  });
  after(async () => {
    await worker.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a bad substrates entry exits 2 with the field path', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, JSON.stringify({ substrates: [ENTRIES[2], { type: 'vercel', name: 'v', url: 'not a url' }] }));
    const run = await runCli(['serve', '--config', path]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /substrates\[1\]\.url/);
  });

  it('runs jobs on a configured substrate, shows no secret, and sums its cost', async () => {
    const path = join(dir, 'good.json');
    await writeFile(path, JSON.stringify({
      port: 0, host: '127.0.0.1', data_dir: join(dir, 'data'), threads: 1, log_level: 'warn',
      substrates: [{ type: 'cloudflare', name: 'edge', url: worker.url, token_env: 'EDGE_TOKEN', pricing: { model: 'per_invocation', usd_per_invocation: 0.001, free_tier: {} } }],
    }));
    const child = spawnCli(['serve', '--config', path], { EDGE_TOKEN: 'edge-secret' });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (chunk) => {
          out += chunk;
          const m = /listening on (\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('close', (code) => reject(new Error(`serve exited ${code}`)));
      });
      const submitted = await fetch(`${url}/v1/jobs`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jobs: [1, 2, 3].map((i) => ({ job_id: `cfg-${i}`, substrates: ['edge'], required_memory_mb: 64, required_duration_s: 5, program: { op: 'crc32c', data: Buffer.from('123456789').toString('base64') } })) }),
      });
      assert.equal(submitted.status, 202, await submitted.clone().text());
      for (const i of [1, 2, 3]) {
        const r = await (await fetch(`${url}/v1/jobs/cfg-${i}/result?wait=20`)).json() as { status: string; substrate: string; result: unknown; cost_usd: number };
        assert.equal(r.status, 'succeeded', JSON.stringify(r));
        assert.equal(r.substrate, 'edge');
        assert.deepEqual(r.result, { crc32c: 3808858755, bytes: 9 });
        assert.ok(r.cost_usd > 0);
      }
      const substrates = await (await fetch(`${url}/v1/substrates`)).text();
      assert.ok(!substrates.includes('edge-secret'));
      const edge = (JSON.parse(substrates) as { substrates: SubstrateView[] }).substrates.find((s) => s.name === 'edge');
      assert.equal(edge?.type, 'cloudflare');
      const metrics = await (await fetch(`${url}/v1/metrics`)).json() as { substrates: Record<string, { total_cost_usd: number }> };
      // one request carried all three jobs or up to three requests did: between 0.001 and 0.003 in total
      assert.ok(metrics.substrates.edge!.total_cost_usd >= 0.001 - 1e-12 && metrics.substrates.edge!.total_cost_usd <= 0.003 + 1e-12, JSON.stringify(metrics.substrates));
    } finally {
      child.kill('SIGKILL');
    }
  });
});
