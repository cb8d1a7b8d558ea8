import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeAccess } from '../../src/trust/node-access.js';
import { FileNodeLedger } from '../../src/trust/node-ledger.js';

async function withAccess(opts: { requireCredential: boolean; nodeToken?: string }, fn: (access: NodeAccess, dir: string, now: { ms: number }) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'packetfs-access-'));
  const now = { ms: Date.UTC(2026, 11, 1) };
  try {
    const ledger = await FileNodeLedger.open(join(dir, 'nodes.json'));
    await fn(new NodeAccess({ ledger, joinSecret: 'deployment secret', now: () => now.ms, ...opts }), dir, now);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('credentials required: nothing and wrong tokens are refused; the node token and join tokens admit', async () => {
  await withAccess({ requireCredential: true, nodeToken: 'shared' }, async (access) => {
    assert.equal(access.admit({ kind: 'node' }).admitted, false);
    assert.equal(access.admit({ kind: 'node', token: 'nope' }).admitted, false);
    assert.deepEqual(access.admit({ kind: 'node', token: 'shared' }), { admitted: true, credential: { type: 'shared' } });
    const minted = await access.mint({ kind: 'browser', label: 'lab pc' });
    assert.match(minted.token, /^pfj1\./);
    assert.deepEqual(access.admit({ kind: 'browser', token: minted.token }), { admitted: true, credential: { type: 'join', id: minted.id, label: 'lab pc' } });
    const wrongKind = access.admit({ kind: 'node', token: minted.token });
    assert.equal(wrongKind.admitted, false);
    const forged = minted.token.slice(0, -3) + (minted.token.endsWith('AAA') ? 'BBB' : 'AAA');
    assert.equal(access.admit({ kind: 'browser', token: forged }).admitted, false, 'a forged signature');
  });
});

test('join tokens expire, can be revoked, and revocations and bans survive a restart', async () => {
  await withAccess({ requireCredential: true }, async (access, dir, now) => {
    const short = await access.mint({ ttl_s: 60 });
    const long = await access.mint({});
    assert.equal(access.admit({ kind: 'node', token: short.token }).admitted, true);
    now.ms += 61_000;
    assert.deepEqual(access.admit({ kind: 'node', token: short.token }), { admitted: false, reason: 'join token expired' });
    assert.equal(await access.revokeToken(long.id), true);
    assert.deepEqual(access.admit({ kind: 'node', token: long.token }), { admitted: false, reason: 'join token revoked' });
    await access.ban({ node_id: 'evil-1', token_id: null, address: '203.0.113.9', reason: 'lied', at: new Date().toISOString() });
    await access.close();
    assert.equal((await stat(join(dir, 'nodes.json'))).mode & 0o777, 0o600);

    const reopened = new NodeAccess({ ledger: await FileNodeLedger.open(join(dir, 'nodes.json')), joinSecret: 'deployment secret', requireCredential: false });
    assert.deepEqual(reopened.admit({ kind: 'node', token: long.token }), { admitted: false, reason: 'join token revoked' });
    assert.deepEqual(reopened.admit({ kind: 'node', node_id: 'evil-1' }), { admitted: false, reason: 'this node is banned' });
    assert.equal(reopened.admit({ kind: 'node', node_id: 'someone-else' }).admitted, true, 'open pool: anonymous nodes are admitted');
    const other = new NodeAccess({ ledger: await FileNodeLedger.open(null), joinSecret: 'another deployment', requireCredential: true });
    assert.equal(other.admit({ kind: 'node', token: long.token }).admitted, false, 'another secret does not accept the token');
  });
});

test('mint requests are validated', async () => {
  await withAccess({ requireCredential: true }, async (access) => {
    await assert.rejects(access.mint({ ttl_s: 5 }), { code: 'INVALID_REQUEST', path: 'ttl_s' });
    await assert.rejects(access.mint({ kind: 'gpu' as never }), { code: 'INVALID_REQUEST', path: 'kind' });
    await assert.rejects(access.mint({ label: '\u0000' }), { code: 'INVALID_REQUEST', path: 'label' });
  });
});
