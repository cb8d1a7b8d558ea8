import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../../src/cli/config.js';
import { resolveServeSettings } from '../../src/cli/serve-settings.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { byteSize, durationMs } from '../../src/cli/arg-parsers.js';
import { InvalidArgumentError } from 'commander';

test('defaults apply when neither flags nor file say otherwise', () => {
  const settings = resolveServeSettings({}, {}, {});
  assert.deepEqual(settings, {
    port: 8080, host: '127.0.0.1', dataDir: '.data', logLevel: 'info', token: undefined, redisUrl: undefined,
    redisCluster: undefined, redisShards: undefined, redisWaitReplicas: undefined,
    policy: 'queue-aware', allowPrivateDataUrls: false, allowHosts: [], threads: undefined, allowInsecureListen: false, leaseMs: undefined, metricsLimit: undefined,
    store: 'sqlite', fsync: 'normal', resultTtlMs: undefined, maxResults: undefined, maxResultBytes: undefined,
    openVolunteers: false, privateByDefault: false, allowUnverified: false, maxQueuedJobs: undefined, maxQueuedBytes: undefined, budget: undefined,
  });
});

test('trust settings come from the file unless flags say otherwise; wrong types name the key', () => {
  const config = checkConfig({ open_volunteers: true, private_by_default: true, allow_unverified: true, max_queued_jobs: 500, max_queued_bytes: 4096 }, 'trust.json');
  const settings = resolveServeSettings({ maxQueuedJobs: 900 }, config, {});
  assert.deepEqual([settings.openVolunteers, settings.privateByDefault, settings.allowUnverified, settings.maxQueuedJobs, settings.maxQueuedBytes], [true, true, true, 900, 4096]);
  assert.throws(() => checkConfig({ open_volunteers: 'yes' }, 'trust.json'), (err: UsageError) => err.path === 'open_volunteers');
  assert.throws(() => checkConfig({ max_queued_jobs: 0 }, 'trust.json'), (err: UsageError) => err.path === 'max_queued_jobs');
});

test('store, fsync and retention come from flags or the file; an explicit store and a Redis URL exclude each other', () => {
  const config = checkConfig({ store: 'memory', fsync: 'always', result_ttl_s: 3600, max_results: 5000, max_result_bytes: 1048576 }, 'test.json');
  const settings = resolveServeSettings({ maxResults: 10 }, config, {});
  assert.equal(settings.store, 'memory');
  assert.equal(settings.fsync, 'always');
  assert.equal(settings.resultTtlMs, 3_600_000);
  assert.equal(settings.maxResults, 10);
  assert.equal(settings.maxResultBytes, 1_048_576);
  assert.throws(() => checkConfig({ store: 'postgres' }, 'test.json'), (err: unknown) => err instanceof UsageError && err.path === 'store');
  assert.throws(() => checkConfig({ result_ttl_s: -1 }, 'test.json'), (err: unknown) => err instanceof UsageError && err.path === 'result_ttl_s');
  assert.throws(() => resolveServeSettings({ store: 'sqlite' }, checkConfig({ redis_url: 'redis://127.0.0.1:6379' }, 'test.json'), {}),
    (err: unknown) => err instanceof UsageError && err.path === '--store');
  assert.equal(resolveServeSettings({}, checkConfig({ redis_url: 'redis://127.0.0.1:6379' }, 'test.json'), {}).redisUrl, 'redis://127.0.0.1:6379');
});

test('durations and sizes parse with units and are bounded', () => {
  assert.equal(durationMs('90'), 90_000);
  assert.equal(durationMs('500ms'), 500);
  assert.equal(durationMs('30m'), 1_800_000);
  assert.equal(durationMs('7d'), 604_800_000);
  for (const bad of ['', 'x', '-1', '400d', '1w']) assert.throws(() => durationMs(bad), InvalidArgumentError, bad);
  assert.equal(byteSize('1048576'), 1_048_576);
  assert.equal(byteSize('512MiB'), 536_870_912);
  assert.equal(byteSize('2GB'), 2_000_000_000);
  for (const bad of ['', 'lots', '-5', '1XB']) assert.throws(() => byteSize(bad), InvalidArgumentError, bad);
});

test('flags override the file; the file overrides defaults', () => {
  const config = checkConfig({ port: 9000, host: '127.0.0.2', threads: 4, policy: 'classic', allow_hosts: ['10.0.0.0/8'], redis_url: 'redis://127.0.0.1:6379' }, 'test.json');
  const settings = resolveServeSettings({ port: 9100, allowPrivateDataUrls: true }, config, {});
  assert.equal(settings.port, 9100);
  assert.equal(settings.host, '127.0.0.2');
  assert.equal(settings.threads, 4);
  assert.equal(settings.policy, 'classic');
  assert.deepEqual(settings.allowHosts, ['10.0.0.0/8']);
  assert.equal(settings.redisUrl, 'redis://127.0.0.1:6379');
  assert.equal(settings.allowPrivateDataUrls, true);
});

test('the token comes from --token, else from the variable token_env names', () => {
  const config = checkConfig({ token_env: 'SERVE_TOKEN' }, 'test.json');
  assert.equal(resolveServeSettings({}, config, { SERVE_TOKEN: 'abc' }).token, 'abc');
  assert.equal(resolveServeSettings({ token: 'flag' }, config, { SERVE_TOKEN: 'abc' }).token, 'flag');
  assert.throws(() => resolveServeSettings({}, config, {}), (err: unknown) => err instanceof UsageError && err.path === 'token_env');
  assert.throws(() => resolveServeSettings({ token: '' }, {}, {}), UsageError);
});

test('config problems name the key', () => {
  const cases: Array<[unknown, string]> = [
    [{ prot: 1 }, 'prot'], [{ port: 70000 }, 'port'], [{ port: 1.5 }, 'port'], [{ host: '' }, 'host'],
    [{ log_level: 'loud' }, 'log_level'], [{ token_env: 'not a name' }, 'token_env'], [{ redis_url: 'http://x' }, 'redis_url'],
    [{ policy: 'cheap' }, 'policy'], [{ allow_private_data_urls: 'yes' }, 'allow_private_data_urls'],
    [{ allow_hosts: [1] }, 'allow_hosts[0]'], [{ threads: 2000 }, 'threads'], [{ token: 'x' }, 'token'],
  ];
  for (const [config, key] of cases) {
    assert.throws(() => checkConfig(config, 'f.json'), (err: unknown) => err instanceof UsageError && err.path === key && err.message.includes(`"${key}"`), key);
  }
  assert.throws(() => checkConfig([], 'f.json'), UsageError);
});

test('Redis Cluster settings: nodes from the flag or the file (array or comma list), checked; exclusive with --redis and --store', () => {
  const config = checkConfig({ redis_cluster: '10.0.0.1:7000, 10.0.0.2:7000', redis_shards: 6, redis_wait_replicas: 2 }, 'cluster.json');
  const settings = resolveServeSettings({}, config, {});
  assert.deepEqual([settings.redisCluster, settings.redisShards, settings.redisWaitReplicas], [['10.0.0.1:7000', '10.0.0.2:7000'], 6, 2]);
  assert.deepEqual(resolveServeSettings({}, checkConfig({ redis_cluster: ['h:1'] }, 'c.json'), {}).redisCluster, ['h:1']);
  assert.throws(() => checkConfig({ redis_cluster: ['no-port'] }, 'c.json'), (err: UsageError) => err.path === 'redis_cluster');
  assert.throws(() => checkConfig({ redis_shards: 65 }, 'c.json'), (err: UsageError) => err.path === 'redis_shards');
  assert.throws(() => resolveServeSettings({ redisCluster: ['h:1'], redis: 'redis://x' }, {}, {}), (err: UsageError) => err.path === '--redis-cluster');
  assert.throws(() => resolveServeSettings({}, { redis_cluster: ['h:1'], store: 'memory' }, {}), (err: UsageError) => err.path === 'redis_cluster');
});
