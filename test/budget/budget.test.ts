import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Dispatcher } from '../../src/dispatcher/dispatcher.js';
import type { DispatcherOptions } from '../../src/dispatcher/options.js';
import { silentLogger, type Logger } from '../../src/logger.js';
import { checkBudget } from '../../src/budget/budget-config.js';
import { monthForecast } from '../../src/budget/costs-report.js';
import { normalizeJob } from '../../src/job/index.js';
import { checkConfig } from '../../src/cli/config.js';
import { describeCosts } from '../../src/cli/commands/costs.js';
import { ScriptedSubstrate } from '../helpers/scripted-substrate.js';
import { assertPacketFSError } from '../job/assert-packetfs-error.js';
import { call, serveDispatcher } from '../server/harness.js';

const job = (extra: Record<string, unknown> = {}) => ({ program: { op: 'crc32c', data: Buffer.from('123456789').toString('base64') }, ...extra });
/** a paid substrate billed per invocation: every job costs exactly `usd` */
const paid = (name: string, usd: number, caps: Record<string, unknown> = {}) =>
  new ScriptedSubstrate(name, { pricing: { model: 'per_invocation', usd_per_invocation: usd }, ...caps });

/** a logger that keeps its warnings, to see alerts */
function recordingLogger(): Logger & { warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  return { ...silentLogger, warnings, warn(fields) { if (typeof fields === 'object') warnings.push(fields); } };
}

describe('budgets and cost caps', () => {
  const dirs: string[] = [];
  const open: Dispatcher[] = [];
  async function make(opts: DispatcherOptions, dataDir?: string): Promise<Dispatcher> {
    const dir = dataDir ?? await mkdtemp(join(tmpdir(), 'pfs-budget-'));
    if (dataDir === undefined) dirs.push(dir);
    const d = await Dispatcher.create({ dataDir: dir, storeKind: 'memory', logger: silentLogger, threads: 1, nodes: false, probeIntervalMs: 50, budgetRefreshMs: 50, ...opts });
    open.push(d);
    return d;
  }
  after(async () => {
    await Promise.all(open.map((d) => d.close()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('validates the job fields and the config section with stable codes and the field path', () => {
    assertPacketFSError(() => normalizeJob(job({ max_cost_usd: -1 })), { code: 'INVALID_JOB', path: 'max_cost_usd' }, 'max_cost_usd');
    assertPacketFSError(() => normalizeJob(job({ max_cost_usd: '1' })), { code: 'INVALID_JOB', path: 'max_cost_usd' }, 'max_cost_usd');
    assertPacketFSError(() => normalizeJob(job({ on_budget: 'maybe' })), { code: 'INVALID_JOB', path: 'on_budget' }, 'on_budget');
    const ok = normalizeJob(job({ max_cost_usd: 0.5, on_budget: 'fail' }));
    assert.equal(ok.max_cost_usd, 0.5);
    assert.equal(ok.on_budget, 'fail');
    assert.equal(normalizeJob(job({ on_budget: 'wait' })).on_budget, undefined, 'wait is the default and is not stored');
    assertPacketFSError(() => checkBudget({ daily_usd: -2 }), { code: 'INVALID_REQUEST', path: 'budget.daily_usd' }, 'budget.daily_usd');
    assertPacketFSError(() => checkBudget({ weekly_usd: 2 }), { code: 'INVALID_REQUEST', path: 'budget.weekly_usd' }, 'budget.weekly_usd');
    assertPacketFSError(() => checkBudget({ per_substrate: { lambda: { daily_usd: 'x' } } }), { code: 'INVALID_REQUEST', path: 'budget.per_substrate.lambda.daily_usd' }, 'budget.per_substrate.lambda.daily_usd');
    assertPacketFSError(() => checkBudget({ per_substrate: { lambda: 3 } }), { code: 'INVALID_REQUEST', path: 'budget.per_substrate.lambda' }, 'budget.per_substrate.lambda');
    assert.deepEqual(checkBudget({ daily_usd: 5, per_substrate: { fly: { monthly_usd: 20 } } }), { daily_usd: 5, per_substrate: { fly: { monthly_usd: 20 } } });
    assert.throws(() => checkConfig({ budget: { monthly_usd: 'lots' } }, 'packetfs.config.json'), (err: Error & { path?: string }) => err.path === 'budget.monthly_usd');
  });

  it('spends up to the daily budget, then holds paid work as queued with a reason; on_budget "fail" fails; alerts at 80% once', async () => {
    const logger = recordingLogger();
    const cloud = paid('cloud', 0.01);
    const d = await make({ local: false, substrates: [cloud], budget: { daily_usd: 0.025 }, budgetRecheckMs: 60_000, logger });
    const first = await d.submitJobs([job({ job_id: 'a' }), job({ job_id: 'b' })]);
    assert.equal(first.length, 2);
    for (const id of ['a', 'b']) assert.equal((await d.getResult(id, { wait: 10 }))?.status, 'succeeded');

    await d.submitJob(job({ job_id: 'c' }));
    await d.submitJob(job({ job_id: 'd', on_budget: 'fail' }));
    const failed = await d.getResult('d', { wait: 10 });
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.error?.code, 'BUDGET_EXCEEDED');
    assert.equal(failed?.error?.path, 'on_budget');
    let view = await d.getJob('c');
    for (let i = 0; i < 200 && view?.waiting === undefined; i++) view = await new Promise((r) => setTimeout(r, 10)).then(() => d.getJob('c'));
    assert.equal(view?.status, 'queued');
    assert.equal(view?.attempts, 0);
    assert.match(view?.waiting ?? '', /budget daily is spent.*waiting for budget/);
    assert.deepEqual(cloud.executed, ['a', 'b'], 'nothing ran past the budget');

    const costs = await d.getCosts();
    assert.equal(costs.spent_usd.total, 0.02);
    assert.deepEqual(costs.spent_usd.today.by_substrate, { cloud: 0.02 });
    assert.equal(costs.budget?.limits[0]?.id, 'daily');
    assert.equal(costs.budget?.limits[0]?.remaining_usd, 0.005);
    assert.equal(costs.budget?.limits[0]?.alert, 80);
    assert.ok(costs.forecast_usd >= 0.02);
    assert.match(describeCosts(costs), /daily +\$0\.025 +\$0\.02 +\$0\.005 +80% +80%/);
    const alerts = logger.warnings.filter((w) => w.event === 'budget_alert');
    assert.deepEqual(alerts.map((a) => [a.budget, a.level]), [['daily', 80]], 'one alert for one crossing');
    const metrics = await d.prometheus();
    assert.match(metrics, /packetfs_budget_alert_level\{budget="daily"\} 80/);
    assert.match(metrics, /packetfs_budget_alerts_total\{budget="daily",level="80"\} 1/);
    assert.match(metrics, /packetfs_spend_usd\{period="day",substrate="cloud"\} 0\.02/);
  });

  it('a job whose cap no substrate meets fails at once; a cap moves a job to a cheaper substrate', async () => {
    // classic ranks by cost_per_hour_usd: `dear` first, though it bills more per job
    const dear = paid('dear', 0.05, { cost_per_hour_usd: 0 });
    const cheap = paid('cheap', 0.001, { cost_per_hour_usd: 10 });
    const d = await make({ local: false, substrates: [dear, cheap], policy: 'classic' });
    await d.submitJobs([job({ job_id: 'free-hand' }), job({ job_id: 'capped', max_cost_usd: 0.01 }), job({ job_id: 'impossible', max_cost_usd: 0.0001 })]);
    assert.equal((await d.getResult('free-hand', { wait: 10 }))?.substrate, 'dear');
    assert.equal((await d.getResult('capped', { wait: 10 }))?.substrate, 'cheap');
    const impossible = await d.getResult('impossible', { wait: 10 });
    assert.equal(impossible?.error?.code, 'BUDGET_EXCEEDED');
    assert.equal(impossible?.error?.path, 'max_cost_usd');
    assert.match(impossible?.error?.message ?? '', /cheapest that could run it is cheap/);
  });

  it('spend is kept in the store: a restarted dispatcher (SQLite) still counts it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pfs-budget-'));
    dirs.push(dir);
    const first = await make({ storeKind: 'sqlite', local: false, substrates: [paid('cloud', 0.25)], budget: { monthly_usd: 1 } }, dir);
    await first.submitJob(job({ job_id: 'x' }));
    assert.equal((await first.getResult('x', { wait: 10 }))?.cost_usd, 0.25);
    await first.close();
    const second = await make({ storeKind: 'sqlite', local: false, substrates: [paid('cloud', 0.25)], budget: { monthly_usd: 1 } }, dir);
    const costs = await second.getCosts();
    assert.deepEqual(costs.spent_usd.by_substrate, { cloud: 0.25 });
    assert.equal(costs.budget?.limits[0]?.remaining_usd, 0.75);
  });

  it('POST /v1/jobs?dry_run=1 says where each job would run and at what cost, and enqueues nothing; GET /v1/costs', async () => {
    const served = await serveDispatcher({ dispatcher: { local: false, nodes: false, substrates: [paid('cloud', 0.002)], budget: { daily_usd: 1, per_substrate: { cloud: { daily_usd: 0 } } } } });
    try {
      const one = await call(`${served.url}/v1/jobs?dry_run=1`, { json: job({ job_id: 'dry' }) });
      assert.equal(one.status, 200);
      assert.deepEqual({ ...one.body, reason: undefined }, { job_id: 'dry', would: 'wait', substrate: null, estimated_cost_usd: null, reason: undefined });
      assert.match(one.body.reason, /budget cloud\.daily is spent/);
      const batch = await call(`${served.url}/v1/jobs?dry_run=1`, { json: { jobs: [job({ job_id: 'f', on_budget: 'fail' }), job({ job_id: 'g', max_cost_usd: 0.001 })] } });
      assert.deepEqual(batch.body.jobs.map((j: { would: string; error?: { code: string; path: string } }) => [j.would, j.error?.code, j.error?.path]),
        [['fail', 'BUDGET_EXCEEDED', 'on_budget'], ['fail', 'BUDGET_EXCEEDED', 'max_cost_usd']]);
      const bad = await call(`${served.url}/v1/jobs?dry_run=1`, { json: job({ max_cost_usd: -1 }) });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.path, 'max_cost_usd');
      assert.equal((await call(`${served.url}/v1/jobs/dry`)).status, 404, 'a dry run enqueues nothing');
      const costs = await call(`${served.url}/v1/costs`);
      assert.equal(costs.status, 200);
      assert.deepEqual(costs.body.spent_usd, { total: 0, by_substrate: {}, today: { total: 0, by_substrate: {} } });
      assert.deepEqual(costs.body.budget.limits.map((l: { id: string }) => l.id), ['daily', 'cloud.daily']);
    } finally {
      await served.close();
    }
  });

  it('forecasts the month from its average rate so far', () => {
    // 10 days into a 30-day month (June): $3 so far → $9
    assert.equal(Math.round(monthForecast(3, Date.parse('2031-06-11T00:00:00Z')) * 1e9) / 1e9, 9);
  });
});

describe('dry run with a free substrate', () => {
  it('names the substrate and its estimate', async () => {
    const served = await serveDispatcher({ dispatcher: { nodes: false, threads: 1 } });
    try {
      const reply = await call(`${served.url}/v1/jobs?dry_run=true`, { json: job({ job_id: 'z' }) });
      assert.deepEqual(reply.body, { job_id: 'z', would: 'run', substrate: 'local', estimated_cost_usd: 0 });
    } finally {
      await served.close();
    }
  });
});
