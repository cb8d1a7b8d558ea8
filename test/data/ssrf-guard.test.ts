import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketFSError } from '../../src/errors.js';
import { createNodeFetchRange } from '../../src/data/node-fetch-range.js';
import { createAddressPolicy } from '../../src/data/ssrf-guard.js';
import { parseIPv6 } from '../../src/data/ip-address.js';
import { DATA, startDataServer, type DataServer } from './http-fixtures.js';

describe('createAddressPolicy (default: refuse what is not plainly public)', () => {
  const policy = createAddressPolicy();
  const refused: Array<[string, 4 | 6, RegExp]> = [
    ['127.0.0.1', 4, /loopback/],
    ['127.255.0.9', 4, /loopback/],
    ['10.1.2.3', 4, /private/],
    ['172.16.0.1', 4, /private/],
    ['172.31.255.255', 4, /private/],
    ['192.168.1.1', 4, /private/],
    ['169.254.169.254', 4, /link-local/],
    ['0.0.0.0', 4, /unspecified/],
    ['100.64.0.1', 4, /carrier-grade NAT/],
    ['224.0.0.1', 4, /multicast/],
    ['255.255.255.255', 4, /broadcast/],
    ['::1', 6, /loopback/],
    ['::', 6, /unspecified/],
    ['fc00::1', 6, /unique local/],
    ['fd12:3456::1', 6, /unique local/],
    ['fe80::1', 6, /link-local/],
    ['fe80::1%eth0', 6, /link-local/],
    ['ff02::1', 6, /multicast/],
    ['::ffff:127.0.0.1', 6, /IPv4-mapped form of 127\.0\.0\.1 \(loopback\)/],
    ['::ffff:7f00:1', 6, /IPv4-mapped form of 127\.0\.0\.1/],
    ['::ffff:a9fe:a9fe', 6, /IPv4-mapped form of 169\.254\.169\.254 \(link-local\)/],
    ['0:0:0:0:0:ffff:0a00:0001', 6, /IPv4-mapped form of 10\.0\.0\.1/],
    // ipaddr.js reads the deprecated dotted form as IPv4-mapped; the hex form stays IPv4-compatible
    ['::127.0.0.1', 6, /IPv4-(mapped|compatible) form of 127\.0\.0\.1 \(loopback\)/],
    ['::7f00:1', 6, /IPv4-compatible form of 127\.0\.0\.1 \(loopback\)/],
    ['64:ff9b::10.0.0.1', 6, /NAT64 form of 10\.0\.0\.1/],
    ['2002:c0a8:0101::1', 6, /6to4 form of 192\.168\.1\.1/],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 6, /Teredo form of 127\.0\.0\.1/],
  ];
  for (const [address, family, why] of refused) {
    test(`refuses ${address}`, () => {
      assert.equal(policy.check(address, family), false);
      assert.match(policy.refusal(address, family) ?? '', why);
    });
  }

  const allowed: Array<[string, 4 | 6]> = [
    ['8.8.8.8', 4], ['172.32.0.1', 4], ['100.128.0.1', 4], ['1.1.1.1', 4],
    ['2606:4700::1111', 6], ['::ffff:8.8.8.8', 6], ['2002:0808:0808::1', 6],
  ];
  for (const [address, family] of allowed) {
    test(`allows public ${address}`, () => {
      assert.equal(policy.check(address, family), true);
      assert.equal(policy.refusal(address, family), null);
    });
  }

  test('refuses what it cannot parse', () => {
    assert.equal(policy.check('not-an-ip', 4), false);
    assert.equal(policy.check('1.2.3', 4), false);
    // shorthand, hex and zero-padded IPv4 are ambiguous: refused, not guessed
    for (const odd of ['127.1', '0x7f.0.0.1', '010.0.0.1', '2130706433']) assert.equal(policy.check(odd, 4), false, odd);
  });

  test('allowPrivate allows everything', () => {
    const open = createAddressPolicy({ allowPrivate: true });
    for (const [address, family] of refused) assert.equal(open.check(address, family), true, address);
  });

  test('allowHosts CIDRs allow their range only, including IPv4-mapped forms', () => {
    const some = createAddressPolicy({ allowHosts: ['10.0.0.0/8', 'fd00::/8', '192.168.1.7'] });
    assert.equal(some.check('10.200.3.4', 4), true);
    assert.equal(some.check('::ffff:10.200.3.4', 6), true);
    assert.equal(some.check('fd00::5', 6), true);
    assert.equal(some.check('192.168.1.7', 4), true);
    assert.equal(some.check('192.168.1.8', 4), false);
    assert.equal(some.check('127.0.0.1', 4), false);
    assert.equal(some.check('fc00::5', 6), false);
  });

  test('allowHosts host names match exactly, case-insensitively', () => {
    const some = createAddressPolicy({ allowHosts: ['Minio.Internal.'] });
    assert.equal(some.allowsHostName('minio.internal'), true);
    assert.equal(some.allowsHostName('evil.minio.internal'), false);
  });

  test('a malformed allowHosts entry is refused at start-up', () => {
    assert.throws(() => createAddressPolicy({ allowHosts: ['10.0.0.0/99'] }),
      (err: unknown) => err instanceof PacketFSError && err.code === 'INVALID_REQUEST');
  });
});

describe('parseIPv6', () => {
  test('expands compressed forms and embedded IPv4', () => {
    assert.deepEqual(parseIPv6('::ffff:1.2.3.4')!.toByteArray(), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4]);
    assert.deepEqual(parseIPv6('[2001:db8::1]')!.toByteArray(), [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert.deepEqual(parseIPv6('fe80::1%eth0')!.toByteArray(), [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  });
  test('rejects malformed text', () => {
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', ':::', 'g::1', '::1.2.3.256', '1.2.3.4']) {
      assert.equal(parseIPv6(bad), null, bad);
    }
  });
});

describe('node fetcher and the SSRF guard', () => {
  let server: DataServer;
  before(async () => { server = await startDataServer(); });
  after(async () => { await server.close(); });

  async function forbidden(promise: Promise<unknown>, host: RegExp): Promise<void> {
    await assert.rejects(promise, (err: unknown) => {
      assert.ok(err instanceof PacketFSError, String(err));
      assert.equal(err.code, 'DATA_URL_FORBIDDEN', err.message);
      assert.equal(err.status, 400);
      assert.equal(err.path, 'program.data_url');
      assert.match(err.message, host);
      return true;
    });
  }

  test('loopback and IPv4-mapped literals are refused by default, without any request', async () => {
    const fetchRange = createNodeFetchRange({ policy: createAddressPolicy(), maxBytes: 1 << 20 });
    const before = server.hits.length;
    await forbidden(fetchRange(`http://127.0.0.1:${server.port}/range`, 0, 10), /127\.0\.0\.1 is loopback/);
    await forbidden(fetchRange(`http://[::1]:${server.port}/range`, 0, 10), /::1 is loopback/);
    await forbidden(fetchRange(`http://[::ffff:127.0.0.1]:${server.port}/range`, 0, 10), /IPv4-mapped form of 127\.0\.0\.1/);
    // Alternative IPv4 spellings are normalised by the URL parser before the check.
    await forbidden(fetchRange(`http://0x7f.1:${server.port}/range`, 0, 10), /127\.0\.0\.1 is loopback/);
    await forbidden(fetchRange(`http://2130706433:${server.port}/range`, 0, 10), /127\.0\.0\.1 is loopback/);
    assert.equal(server.hits.length, before);
  });

  test('private and link-local literals are refused before connecting', async () => {
    const fetchRange = createNodeFetchRange({ policy: createAddressPolicy(), maxBytes: 1 << 20 });
    await forbidden(fetchRange('http://169.254.169.254/latest/meta-data/', 0, null), /link-local/);
    await forbidden(fetchRange('http://10.0.0.1/x', 0, 10), /private/);
    await forbidden(fetchRange('https://[fe80::1]/x', 0, 10), /link-local/);
  });

  test('a host name resolving to loopback (localhost) is refused at connect time', async () => {
    const fetchRange = createNodeFetchRange({ policy: createAddressPolicy(), maxBytes: 1 << 20 });
    const before = server.hits.length;
    await forbidden(fetchRange(`http://localhost:${server.port}/range`, 0, 10), /localhost resolves to .* loopback/);
    assert.equal(server.hits.length, before);
  });

  test('allowPrivate lets the fetch through', async () => {
    const fetchRange = createNodeFetchRange({ policy: createAddressPolicy({ allowPrivate: true }), maxBytes: 1 << 20 });
    assert.deepEqual(Array.from(await fetchRange(`http://localhost:${server.port}/range`, 5, 10)), Array.from(DATA.subarray(5, 15)));
  });

  test('an allowHosts CIDR lets a literal in its range through', async () => {
    const fetchRange = createNodeFetchRange({ policy: createAddressPolicy({ allowHosts: ['127.0.0.0/8'] }), maxBytes: 1 << 20 });
    assert.deepEqual(Array.from(await fetchRange(`http://127.0.0.1:${server.port}/range`, 0, 4)), Array.from(DATA.subarray(0, 4)));
  });

  test('an allowHosts host name lets that host through, whatever it resolves to', async () => {
    const fetchRange = createNodeFetchRange({ policy: createAddressPolicy({ allowHosts: ['localhost'] }), maxBytes: 1 << 20 });
    assert.deepEqual(Array.from(await fetchRange(`http://localhost:${server.port}/range`, 0, 4)), Array.from(DATA.subarray(0, 4)));
  });
});
