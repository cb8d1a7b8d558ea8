import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { bundlePath, ensureBundles, REPO_ROOT } from './runtime-fixtures.js';

/**
 * The deploy files agree with the code and with each other: wrangler.toml
 * points at the built bundle and its exported Durable Object class; the
 * container port and health path are the same in the Dockerfile, fly.toml
 * and the Cloud Run service. TOML is parsed by Python's tomllib.
 */
const deploy = (file: string) => path.join(REPO_ROOT, 'deploy', file);

async function parseToml(file: string): Promise<any> {
  const { stdout } = await promisify(execFile)('python3', ['-c', 'import json,sys,tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))))', file]);
  return JSON.parse(stdout);
}

describe('deploy files', () => {
  before(ensureBundles);

  it('wrangler.toml runs the built worker with its Durable Object bound and migrated', async () => {
    const wrangler = await parseToml(deploy('wrangler.toml'));
    assert.equal(path.resolve(path.dirname(deploy('wrangler.toml')), wrangler.main), bundlePath('cloudflare/worker.js'));
    const [binding] = wrangler.durable_objects.bindings;
    assert.equal(binding.name, 'PACKETFS_STATE');
    assert.deepEqual(wrangler.migrations[0].new_sqlite_classes, [binding.class_name]);
    // The bundle imports kernels.wasm as a module, which only workerd and wrangler understand
    // (cloudflare.test.ts runs it there); here its closing export list names the class and the handler.
    const source = await readFile(bundlePath('cloudflare/worker.js'), 'utf8');
    const exported = /export\s*\{([^}]*)\};?\s*(\/\/#.*)?$/.exec(source.trimEnd())?.[1]?.split(',').map((s) => s.trim().split(/\s+as\s+/).pop()) ?? [];
    assert.ok(exported.includes(binding.class_name), `exports ${exported.join(', ')}`);
    assert.ok(exported.includes('default'), `exports ${exported.join(', ')}`);
    assert.deepEqual(wrangler.rules, [{ type: 'CompiledWasm', globs: ['**/*.wasm'] }]);
  });

  it('fly.toml, the Dockerfile and the Cloud Run service agree on port 8080 and /health', async () => {
    const fly = await parseToml(deploy('fly.toml'));
    assert.equal(fly.http_service.internal_port, 8080);
    assert.equal(fly.http_service.checks[0].path, '/health');
    for (const key of ['auto_stop_machines', 'auto_start_machines', 'min_machines_running']) assert.ok(key in fly.http_service, key);
    assert.ok(Array.isArray(fly.vm) && fly.vm.length === 1);

    const dockerfile = await readFile(deploy('Dockerfile'), 'utf8');
    assert.match(dockerfile, /^FROM node:20-slim$/m);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^EXPOSE 8080$/m);
    assert.match(dockerfile, /^HEALTHCHECK .*\n.*127\.0\.0\.1:8080\/health/m);
    assert.match(dockerfile, /^CMD \[.*"worker", "--http", "--port", "8080"/m);

    const service = await readFile(deploy('cloudrun/service.yaml'), 'utf8');
    assert.match(service, /^kind: Service$/m);
    assert.match(service, /containerPort: 8080/);
    assert.match(service, /containerConcurrency: \d+/);
    assert.equal(service.match(/path: \/health/g)?.length, 2, 'startup and liveness probes');
  });
});
