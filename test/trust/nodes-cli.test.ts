import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveDispatcher } from '../server/harness.js';
import { RawNode } from '../nodes/raw-node.js';
import { runCli } from '../cli/run-cli.js';

const packetfs = (...args: string[]) => runCli(args);

test('packetfs nodes token create / list / revoke, nodes list and ban', async () => {
  const served = await serveDispatcher({ dispatcher: { threads: 1, requireNodeCredential: true, joinSecret: 'cli-token' }, server: { token: 'cli-token' } });
  const flags = ['--server', served.url, '--token', 'cli-token'];
  try {
    const created = await packetfs('nodes', 'token', 'create', '--kind', 'node', '--label', 'rack-3', '--ttl', '7d', ...flags);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^pfj1\.[\w-]+\.[\w-]+$/);
    const listed = await packetfs('nodes', 'token', 'list', '--json', ...flags);
    const [record] = JSON.parse(listed.stdout).tokens;
    assert.equal(record.label, 'rack-3');
    assert.ok(Date.parse(record.expires_at) - Date.parse(record.created_at) === 7 * 86_400_000);

    const { node, registered } = await RawNode.register(served.url, { token });
    const nodes = await packetfs('nodes', 'list', ...flags);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.match(nodes.stdout, new RegExp(`${registered.node_id}\\s+node\\s+127\\.0\\.0\\.1\\s+rack-3\\s+2/2\\s+0\\s+0\\s+0\\s+probation`));
    const banned = await packetfs('nodes', 'ban', registered.node_id, ...flags);
    assert.equal(banned.code, 0, banned.stderr);
    assert.equal((await node.closed).code, 4001);

    const revoked = await packetfs('nodes', 'token', 'revoke', record.id, ...flags);
    assert.equal(revoked.code, 0, revoked.stderr);
    const missing = await packetfs('nodes', 'token', 'revoke', '0123456789abcdef', ...flags);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NOT_FOUND/);
    const badTtl = await packetfs('nodes', 'token', 'create', '--ttl', 'soon', ...flags);
    assert.equal(badTtl.code, 2);
    const unauthorized = await packetfs('nodes', 'list', '--server', served.url);
    assert.match(unauthorized.stderr, /UNAUTHORIZED/);
  } finally {
    await served.close();
  }
});
