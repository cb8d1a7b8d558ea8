import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from '../../src/scheduler/circuit-breaker.js';

function clocked(opts: { failureThreshold?: number; cooldownMs?: number } = {}) {
  const clock = { t: 1_000_000 };
  const breaker = new CircuitBreaker({ ...opts, now: () => clock.t });
  return { clock, breaker };
}

test('opens after 5 consecutive failures by default; a success resets the count', () => {
  const { breaker } = clocked();
  breaker.onFailure();
  breaker.onFailure(3);
  breaker.onSuccess();
  breaker.onFailure(4);
  assert.equal(breaker.state, 'closed');
  assert.equal(breaker.canDispatch(), true);
  breaker.onFailure();
  assert.equal(breaker.state, 'open');
  assert.equal(breaker.canDispatch(), false);
});

test('after the 5 s default cooldown it is half-open and lets exactly one batch through', () => {
  const { clock, breaker } = clocked();
  breaker.onFailure(5);
  clock.t += 4999;
  assert.equal(breaker.state, 'open');
  clock.t += 1;
  assert.equal(breaker.state, 'half_open');
  assert.equal(breaker.canDispatch(), true);
  breaker.onDispatch();
  assert.equal(breaker.state, 'half_open');
  assert.equal(breaker.canDispatch(), false);
});

test('half-open closes when the trial batch succeeds', () => {
  const { clock, breaker } = clocked({ failureThreshold: 2, cooldownMs: 100 });
  breaker.onFailure(2);
  clock.t += 100;
  breaker.onDispatch();
  breaker.onSuccess();
  assert.equal(breaker.state, 'closed');
  breaker.onFailure();
  assert.equal(breaker.state, 'closed', 'the failure count started again from zero');
});

test('half-open opens again when the trial fails, with a fresh cooldown', () => {
  const { clock, breaker } = clocked({ failureThreshold: 2, cooldownMs: 100 });
  breaker.onFailure(2);
  clock.t += 150;
  breaker.onDispatch();
  breaker.onFailure();
  assert.equal(breaker.state, 'open');
  clock.t += 99;
  assert.equal(breaker.state, 'open');
  clock.t += 1;
  assert.equal(breaker.state, 'half_open');
});

test('probes close or reopen a half-open breaker, and are ignored otherwise', () => {
  const { clock, breaker } = clocked({ failureThreshold: 1, cooldownMs: 100 });
  breaker.onProbe(false);
  assert.equal(breaker.state, 'closed', 'an unhealthy probe does not open a closed breaker; health filtering does that');
  breaker.onFailure();
  breaker.onProbe(true);
  assert.equal(breaker.state, 'open', 'a probe during the cooldown does not cut it short');
  clock.t += 100;
  breaker.onProbe(false);
  assert.equal(breaker.state, 'open');
  clock.t += 100;
  breaker.onDispatch();
  breaker.onProbe(true);
  assert.equal(breaker.state, 'closed', 'a probe recovers even a trial whose outcome never came');
});

test('late outcomes while open neither close it nor extend the cooldown', () => {
  const { clock, breaker } = clocked({ failureThreshold: 1, cooldownMs: 100 });
  breaker.onFailure();
  clock.t += 50;
  breaker.onSuccess();
  breaker.onFailure(10);
  assert.equal(breaker.state, 'open');
  clock.t += 50;
  assert.equal(breaker.state, 'half_open');
});

test('bad options are configuration errors', () => {
  assert.throws(() => new CircuitBreaker({ failureThreshold: 0 }), /failureThreshold/);
  assert.throws(() => new CircuitBreaker({ cooldownMs: -1 }), /cooldownMs/);
});
