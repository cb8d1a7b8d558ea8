import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Dispatcher } from '../../src/dispatcher/dispatcher.js';
import { silentLogger } from '../../src/logger.js';
import { Client } from '../../src/sdk/client.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

/**
 * Result records the original Python dispatcher wrote (`SETEX
 * packetfs:results:<id> 86400 json.dumps(JobResult.to_dict())`) are readable
 * through everything that reads results: GET /v1/jobs/:id and /result, the
 * SDK and the CLI, with the Redis store on a real redis-server. The values
 * below are byte for byte what json.dumps writes for the original's records
 * (its Cloudflare adapter stored the worker's `results` object as `result`).
 */
const ORIGINAL_OK = '{"job_id": "orig-ok", "substrate": "cloudflare_worker", "success": true, '
  + '"result": {"op": "counteq", "count": 4085, "bytesScanned": 1048576}, "exec_time_ms": 52.318115234375, '
  + '"bytes_processed": 1048576, "cost_usd": 0.0001, "error": null, "completed_at": "2026-12-01T21:56:16.862123"}';
const ORIGINAL_FAILED = '{"job_id": "orig-failed", "substrate": "fly_io", "success": false, "result": {}, '
  + '"exec_time_ms": 30012.5, "bytes_processed": 0, "cost_usd": 0.0, "error": "Fly.io execution failed", '
  + '"completed_at": "2026-12-01T21:57:00.000001"}';

describe('result records written by the original dispatcher', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let dispatcher: Dispatcher;
  let server: RunningServer;
  let dataDir: string;

  before(async () => {
    redisServer = await startRedis();
    redis = new Redis(redisServer.url);
    await redis.setex('packetfs:results:orig-ok', 86400, ORIGINAL_OK);
    await redis.setex('packetfs:results:orig-failed', 86400, ORIGINAL_FAILED);
    await redis.setex('packetfs:results:orig-garbage', 86400, '{"success": "maybe"');
    dataDir = await mkdtemp(join(tmpdir(), 'packetfs-original-records-'));
    dispatcher = await Dispatcher.create({ dataDir, threads: 1, logger: silentLogger, redisUrl: redisServer.url });
    server = await startServer(dispatcher, { host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await server?.close();
    await dispatcher?.close();
    redis?.disconnect();
    await redisServer?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('GET /v1/jobs/:id and /result answer them in the contracts §4 shape', async () => {
    const view = await (await fetch(`${server.url}/v1/jobs/orig-ok`)).json() as Record<string, any>;
    assert.deepEqual([view.job_id, view.status, view.result.status], ['orig-ok', 'succeeded', 'succeeded']);
    const response = await fetch(`${server.url}/v1/jobs/orig-ok/result`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      job_id: 'orig-ok', status: 'succeeded', success: true, substrate: 'cloudflare_worker',
      result: { op: 'counteq', count: 4085, bytesScanned: 1048576 },
      exec_time_ms: 52.318115234375, queue_time_ms: 0, bytes_processed: 1048576, cost_usd: 0.0001, attempts: 1,
      error: null, completed_at: '2026-12-01T21:56:16.862Z',
    });
    const failed = await (await fetch(`${server.url}/v1/jobs/orig-failed/result`)).json() as Record<string, any>;
    assert.deepEqual([failed.status, failed.success, failed.result, failed.error],
      ['failed', false, null, { code: 'SUBSTRATE_FAILED', message: 'Fly.io execution failed' }]);
    // a value that is no record at all is reported, not a 500
    const garbage = await fetch(`${server.url}/v1/jobs/orig-garbage/result`);
    assert.equal(garbage.status, 200);
    assert.equal(((await garbage.json()) as { error: { code: string } }).error.code, 'INTERNAL');
    assert.equal((await fetch(`${server.url}/v1/jobs/never-written/result`)).status, 404);
  });

  it('the SDK client and the in-process Dispatcher read them', async () => {
    const client = new Client({ baseUrl: server.url });
    const record = await client.getResult('orig-ok');
    assert.deepEqual([record?.status, record?.result], ['succeeded', { op: 'counteq', count: 4085, bytesScanned: 1048576 }]);
    assert.equal((await dispatcher.getResult('orig-failed'))?.error?.message, 'Fly.io execution failed');
  });

  it('the CLI prints them (and exits 1 for the failed one)', async () => {
    const cli = 'dist/src/cli/main.js';
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'result', 'orig-ok', '--json', '--server', server.url]);
    assert.deepEqual((JSON.parse(stdout) as { result: unknown }).result, { op: 'counteq', count: 4085, bytesScanned: 1048576 });
    const failed = await promisify(execFile)(process.execPath, [cli, 'result', 'orig-failed', '--server', server.url])
      .then(() => assert.fail('exit 0 for a failed job'), (err: { code: number; stdout: string }) => err);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /Fly\.io execution failed/);
  });
});
