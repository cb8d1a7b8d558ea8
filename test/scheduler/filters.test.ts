import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constraintMismatch, eligible, ineligibility } from '../../src/scheduler/filters.js';
import { caps, FakeSubstrate, job, state } from './fake-substrate.js';

const sub = new FakeSubstrate('lambda-eu', 'lambda', caps({ max_memory_mb: 512, max_duration_seconds: 60, available_slots: 4 }));

test('a job within every limit is eligible', () => {
  assert.equal(eligible(job(), state(sub)), true);
  assert.equal(ineligibility(job(), state(sub)), null);
});

test('health, circuit and free slots', () => {
  assert.equal(ineligibility(job(), state(sub, { healthy: false })), 'unhealthy');
  assert.equal(ineligibility(job(), state(sub, { circuit: 'open', admits: false })), 'circuit open');
  assert.equal(ineligibility(job(), state(sub, { circuit: 'half_open', admits: false })), 'circuit half_open');
  assert.equal(eligible(job(), state(sub, { circuit: 'half_open', admits: true })), true);
  assert.equal(ineligibility(job(), state(sub, { capabilities: caps({ available_slots: 0 }) })), 'no free slots');
});

test('memory and duration limits are inclusive', () => {
  assert.equal(eligible(job({ required_memory_mb: 512 }), state(sub)), true);
  assert.deepEqual(constraintMismatch(job({ required_memory_mb: 513 }), state(sub)), { path: 'required_memory_mb', reason: 'needs 513 MB, offers 512 MB' });
  assert.equal(eligible(job({ required_duration_s: 60 }), state(sub)), true);
  assert.equal(constraintMismatch(job({ required_duration_s: 61 }), state(sub))?.path, 'required_duration_s');
});

test('gpu and persistent state', () => {
  assert.equal(constraintMismatch(job({ requires_gpu: true }), state(sub))?.path, 'requires_gpu');
  assert.equal(constraintMismatch(job({ requires_state: true }), state(sub))?.path, 'requires_state');
  const rich = new FakeSubstrate('big', 'fly', caps({ supports_gpu: true, supports_persistent_state: true }));
  assert.equal(eligible(job({ requires_gpu: true, requires_state: true }), state(rich)), true);
});

test('pinning matches the substrate name or its type; null means any', () => {
  assert.equal(eligible(job({ substrates: null }), state(sub)), true);
  assert.equal(eligible(job({ substrates: ['lambda-eu'] }), state(sub)), true);
  assert.equal(eligible(job({ substrates: ['browser', 'lambda'] }), state(sub)), true);
  const m = constraintMismatch(job({ substrates: ['browser'] }), state(sub));
  assert.equal(m?.path, 'substrates');
  assert.match(m!.reason, /browser/);
});

test('a static mismatch is reported even when the substrate is also down', () => {
  assert.match(ineligibility(job({ required_memory_mb: 4096 }), state(sub, { healthy: false }))!, /needs 4096 MB/);
});
