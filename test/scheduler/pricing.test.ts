import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedCostUsd } from '../../src/scheduler/pricing.js';
import { byteBucket, jobBytes } from '../../src/scheduler/job-bytes.js';
import { job } from './fake-substrate.js';

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} ≉ ${expected}`);
const needs = { required_duration_s: 30, required_memory_mb: 2048 };

test('free costs nothing', () => {
  assert.equal(expectedCostUsd({ model: 'free' }, needs), 0);
});

test('per_hour charges the rate for the declared duration', () => {
  close(expectedCostUsd({ model: 'per_hour', usd_per_hour: 1.5 }, needs), 1.5 * 30 / 3600);
});

test('per_invocation is flat whatever the duration and memory', () => {
  assert.equal(expectedCostUsd({ model: 'per_invocation', usd_per_invocation: 0.0002 }, needs), 0.0002);
  assert.equal(expectedCostUsd({ model: 'per_invocation', usd_per_invocation: 0.0002 }, needs, 600), 0.0002);
});

test('per_gb_second charges GB × seconds × rate plus the per-request fee', () => {
  const pricing = { model: 'per_gb_second', usd_per_gb_second: 0.0000166667, usd_per_request: 0.0000002 } as const;
  close(expectedCostUsd(pricing, needs), 2 * 30 * 0.0000166667 + 0.0000002);
  close(expectedCostUsd({ model: 'per_gb_second', usd_per_gb_second: 0.00001 }, needs), 2 * 30 * 0.00001);
});

test('an explicit duration (measured after the fact) replaces the declared one', () => {
  close(expectedCostUsd({ model: 'per_hour', usd_per_hour: 3.6 }, needs, 0.5), 0.0005);
  close(expectedCostUsd({ model: 'per_gb_second', usd_per_gb_second: 1 }, needs, 0.25), 0.5);
});

test('jobBytes: inline window, explicit length, unknown', () => {
  assert.equal(jobBytes(job()), 64);
  assert.equal(jobBytes(job({ program: { ops: [], single: false, data: 'AAAA', offset: 1, length: null } })), 2);
  assert.equal(jobBytes(job({ program: { ops: [], single: false, data: 'AAA=', offset: 0, length: null } })), 2);
  assert.equal(jobBytes(job({ program: { ops: [], single: false, data_url: 'http://127.0.0.1/x', offset: 10, length: 4096 } })), 4096);
  assert.equal(jobBytes(job({ program: { ops: [], single: false, blob: 'b1', offset: 0, length: null } })), 0);
});

test('byteBucket rounds up to a power of two', () => {
  assert.deepEqual([0, 1, 2, 3, 64, 65, 1000].map(byteBucket), [0, 1, 2, 4, 64, 128, 1024]);
});
