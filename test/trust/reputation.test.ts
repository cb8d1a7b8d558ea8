import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeReputation, DEFAULT_REPUTATION_POLICY } from '../../src/trust/reputation.js';

test('probation until enough confirmed results, then a check rate that falls with the record', () => {
  const rep = new NodeReputation(DEFAULT_REPUTATION_POLICY, () => 0.5);
  for (let i = 0; i < DEFAULT_REPUTATION_POLICY.probationChecks - 1; i++) {
    assert.equal(rep.mustCheck(), true, 'every result is checked on probation');
    rep.confirmed();
  }
  assert.equal(rep.state, 'probation');
  rep.confirmed();
  assert.equal(rep.state, 'trusted');
  const first = rep.checkRate();
  assert.equal(first, DEFAULT_REPUTATION_POLICY.trustedRate);
  for (let i = 0; i < 200; i++) rep.acceptedUnchecked();
  assert.ok(rep.checkRate() < first / 2, 'the rate falls as the record grows');
  assert.ok(rep.checkRate() >= DEFAULT_REPUTATION_POLICY.minRate);
});

test('an error puts the check rate back up for a while; a lie bans for good', () => {
  const rep = new NodeReputation();
  for (let i = 0; i < DEFAULT_REPUTATION_POLICY.probationChecks; i++) rep.confirmed();
  for (let i = 0; i < 500; i++) rep.acceptedUnchecked();
  const calm = rep.checkRate();
  rep.erred();
  assert.equal(rep.checkRate(), DEFAULT_REPUTATION_POLICY.alarmRate);
  for (let i = 0; i < DEFAULT_REPUTATION_POLICY.alarmJobs; i++) rep.acceptedUnchecked();
  assert.ok(rep.checkRate() <= calm);
  rep.caughtLying();
  assert.equal(rep.state, 'banned');
  rep.confirmed();
  assert.equal(rep.state, 'banned', 'nothing brings a banned node back');
  assert.equal(rep.score, -1);
});
