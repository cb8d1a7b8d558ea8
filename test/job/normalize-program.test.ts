import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeProgram } from '../../src/job/index.js';
import type { ProgramSpec } from '../../src/job/types.js';
import { assertPacketFSError, type ExpectedError } from './assert-packetfs-error.js';

const DATA = Buffer.from('hello packetfs').toString('base64'); // 14 bytes

test('single op shorthand: op + imm, defaults filled, single=true', () => {
  assert.deepEqual(normalizeProgram({ op: 'counteq', imm: 42, data_url: 'https://host/file.bin', offset: 0, length: 1048576 }), {
    ops: [{ op: 'counteq', imm: 42 }], single: true, data_url: 'https://host/file.bin', offset: 0, length: 1048576,
  } satisfies ProgramSpec);
  assert.deepEqual(normalizeProgram({ op: 'crc32c', data: DATA }), {
    ops: [{ op: 'crc32c', imm: 0 }], single: true, data: DATA, offset: 0, length: null,
  });
});

test('ops, operations and instructions lists are all accepted, in order', () => {
  const expected = { ops: [{ op: 'crc32c', imm: 0 }, { op: 'counteq', imm: 7 }], single: false, data: DATA, offset: 0, length: null };
  assert.deepEqual(normalizeProgram({ ops: [{ op: 'crc32c' }, { op: 'counteq', imm: 7 }], data: DATA }), expected);
  assert.deepEqual(normalizeProgram({ operations: [{ operation: 'crc32c' }, { operation: 'counteq', imm: 7 }], data: DATA }), expected);
  assert.deepEqual(normalizeProgram({ instructions: ['crc32c', { op: 'counteq', imm: 7 }], data: DATA }), expected);
});

test('a one-item ops list is not the shorthand: single=false', () => {
  assert.equal(normalizeProgram({ ops: ['fnv64'], blob: 'b1' }).single, false);
});

test('program-level imm is the default for ops without their own', () => {
  const p = normalizeProgram({ ops: ['xor', { op: 'add' }, { op: 'counteq', imm: 0 }, { op: 'counteq', imm: 255 }], imm: 9, data: DATA });
  assert.deepEqual(p.ops.map((o) => o.imm), [9, 9, 0, 255]);
});

test('all five op names are accepted', () => {
  for (const op of ['counteq', 'crc32c', 'fnv64', 'xor', 'add']) {
    assert.equal(normalizeProgram({ op, blob: 'x' }).ops[0]!.op, op);
  }
});

test('data sources: data, data_url (http, https, /v1/blobs/), blob', () => {
  assert.equal(normalizeProgram({ op: 'add', data: '' }).data, '');
  assert.equal(normalizeProgram({ op: 'add', data: 'aGk' }).data, 'aGk'); // unpadded
  assert.equal(normalizeProgram({ op: 'add', data: '-_8' }).data, '-_8'); // URL-safe
  assert.equal(normalizeProgram({ op: 'add', data_url: 'http://127.0.0.1:8080/a.bin' }).data_url, 'http://127.0.0.1:8080/a.bin');
  assert.equal(normalizeProgram({ op: 'add', data_url: 'HTTPS://example.com/x?y=1' }).data_url, 'HTTPS://example.com/x?y=1');
  assert.equal(normalizeProgram({ op: 'add', data_url: '/v1/blobs/abc_DEF-123' }).data_url, '/v1/blobs/abc_DEF-123');
  assert.equal(normalizeProgram({ op: 'add', blob: 'A'.repeat(128) }).blob, 'A'.repeat(128));
});

test('window fields: offset/length, explicit null length, the whole inline data, an empty window at the end', () => {
  const p = normalizeProgram({ op: 'add', data: DATA, offset: 3, length: 11 });
  assert.equal(p.offset, 3);
  assert.equal(p.length, 11);
  assert.equal(normalizeProgram({ op: 'add', data: DATA, length: null }).length, null);
  assert.equal(normalizeProgram({ op: 'add', data: DATA, offset: 14 }).offset, 14);
  assert.equal(normalizeProgram({ op: 'add', data: DATA, offset: 14, length: 0 }).length, 0);
  // remote data is not range-checked here: its size is only known when fetched
  assert.equal(normalizeProgram({ op: 'add', blob: 'b', offset: 2 ** 40, length: 2 ** 30 }).offset, 2 ** 40);
});

test('fnv_state is lowercased; undefined fields count as absent', () => {
  const p = normalizeProgram({ op: 'fnv64', blob: 'b', fnv_state: 'CBF29CE484222325', imm: undefined, length: undefined });
  assert.equal(p.fnv_state, 'cbf29ce484222325');
  assert.equal(p.length, null);
});

test('output holds only ProgramSpec keys and fresh op objects', () => {
  const item = { op: 'xor', imm: 1 };
  const p = normalizeProgram({ ops: [item], data_url: 'https://h/x' });
  assert.deepEqual(Object.keys(p).sort(), ['data_url', 'length', 'offset', 'ops', 'single']);
  assert.notEqual(p.ops[0], item);
});

test('a normalised program normalises to itself', () => {
  for (const input of [
    { op: 'counteq', imm: 3, data: DATA, offset: 1, length: 2, fnv_state: 'ABCDEF0123456789' },
    { instructions: ['crc32c'], blob: 'x' },
    { ops: ['add', 'xor'], data_url: '/v1/blobs/q' },
  ]) {
    const once = normalizeProgram(input);
    assert.deepEqual(normalizeProgram(JSON.parse(JSON.stringify(once))), once);
  }
});

test('limits can be configured per call', () => {
  assert.equal(normalizeProgram({ ops: ['add', 'add'], blob: 'b' }, 'program', { maxOps: 2 }).ops.length, 2);
  assertPacketFSError(() => normalizeProgram({ ops: ['add', 'add', 'add'], blob: 'b' }, 'program', { maxOps: 2 }), { code: 'INVALID_JOB', path: 'program.ops' }, 'maxOps');
  assertPacketFSError(() => normalizeProgram({ op: 'add', data: 'AAAAAAAA' }, 'program', { maxInlineBytes: 5 }), { code: 'PAYLOAD_TOO_LARGE', path: 'program.data' }, 'maxInlineBytes');
  assertPacketFSError(() => normalizeProgram({ op: 'add', blob: 'b', length: 11 }, 'p', { maxWindowBytes: 10 }), { code: 'PAYLOAD_TOO_LARGE', path: 'p.length' }, 'maxWindowBytes');
  assertPacketFSError(() => normalizeProgram({ op: 'add', data: 'AAAAAAAA' }, 'program', { maxWindowBytes: 5 }), { code: 'PAYLOAD_TOO_LARGE', path: 'program.data' }, 'maxWindowBytes, inline to the end');
});

const SIXTEEN_MIB = 16 * 1024 * 1024;

/** Every rejected input: what comes back (code + path) is part of the contract. */
const rejects: Array<[string, unknown, ExpectedError]> = [
  ['not an object', 'crc32c', { code: 'INVALID_JOB', path: 'program' }],
  ['null', null, { code: 'INVALID_JOB', path: 'program' }],
  ['an array', [{ op: 'add' }], { code: 'INVALID_JOB', path: 'program' }],
  ['no op at all', { data: DATA }, { code: 'INVALID_JOB', path: 'program', message: /counteq, crc32c, fnv64, xor, add/ }],
  ['no data source', { op: 'add' }, { code: 'INVALID_JOB', path: 'program', message: /data source/ }],
  ['two data sources', { op: 'add', data: DATA, blob: 'b' }, { code: 'INVALID_JOB', path: 'program.blob' }],
  ['three data sources', { op: 'add', data_url: 'https://h/', data: DATA, blob: 'b' }, { code: 'INVALID_JOB', path: 'program.data' }],
  ['op and ops', { op: 'add', ops: ['xor'], data: DATA }, { code: 'INVALID_JOB', path: 'program.ops', message: /not both/ }],
  ['ops and operations', { ops: ['add'], operations: ['xor'], data: DATA }, { code: 'INVALID_JOB', path: 'program.operations' }],
  ['unknown op', { op: 'sha256', data: DATA }, { code: 'INVALID_JOB', path: 'program.op', message: /unknown op 'sha256'; valid ops: counteq, crc32c, fnv64, xor, add/ }],
  ['op names are case-sensitive', { op: 'CRC32C', data: DATA }, { code: 'INVALID_JOB', path: 'program.op' }],
  ['op of wrong type', { op: 3, data: DATA }, { code: 'INVALID_JOB', path: 'program.op' }],
  ['unknown op in a list string item', { ops: ['add', 'mul'], data: DATA }, { code: 'INVALID_JOB', path: 'program.ops[1]', message: /mul/ }],
  ['unknown op in an operation item', { operations: [{ operation: 'nope' }], data: DATA }, { code: 'INVALID_JOB', path: 'program.operations[0].operation' }],
  ['list item without op', { ops: [{ imm: 3 }], data: DATA }, { code: 'INVALID_JOB', path: 'program.ops[0].op' }],
  ['list item with op and operation', { ops: [{ op: 'add', operation: 'add' }], data: DATA }, { code: 'INVALID_JOB', path: 'program.ops[0].operation' }],
  ['list item of wrong type', { ops: [7], data: DATA }, { code: 'INVALID_JOB', path: 'program.ops[0]' }],
  ['unknown field in a list item', { instructions: [{ op: 'add', immm: 1 }], data: DATA }, { code: 'INVALID_JOB', path: 'program.instructions[0].immm', message: /unknown field 'immm'; did you mean 'imm'\?/ }],
  ['ops not an array', { ops: 'add', data: DATA }, { code: 'INVALID_JOB', path: 'program.ops' }],
  ['empty ops list', { ops: [], data: DATA }, { code: 'INVALID_JOB', path: 'program.ops', message: /at least one/ }],
  ['65 ops', { ops: new Array(65).fill('add'), data: DATA }, { code: 'INVALID_JOB', path: 'program.ops', message: /at most 64/ }],
  ['imm 256', { op: 'counteq', imm: 256, data: DATA }, { code: 'INVALID_JOB', path: 'program.imm', message: /imm must be an integer 0\.\.255/ }],
  ['imm -1', { op: 'counteq', imm: -1, data: DATA }, { code: 'INVALID_JOB', path: 'program.imm' }],
  ['imm 1.5', { op: 'counteq', imm: 1.5, data: DATA }, { code: 'INVALID_JOB', path: 'program.imm' }],
  ['imm NaN', { op: 'counteq', imm: NaN, data: DATA }, { code: 'INVALID_JOB', path: 'program.imm' }],
  ['imm as a string', { op: 'counteq', imm: '7', data: DATA }, { code: 'INVALID_JOB', path: 'program.imm' }],
  ['imm null', { op: 'counteq', imm: null, data: DATA }, { code: 'INVALID_JOB', path: 'program.imm' }],
  ['item imm 256', { ops: ['add', { op: 'xor', imm: 256 }], data: DATA }, { code: 'INVALID_JOB', path: 'program.ops[1].imm' }],
  ['unknown program field', { op: 'add', data: DATA, lenght: 3 }, { code: 'INVALID_JOB', path: 'program.lenght', message: /unknown field 'lenght'; did you mean 'length'\?/ }],
  ['unknown program field, camelCase', { op: 'add', dataUrl: 'https://h/' }, { code: 'INVALID_JOB', path: 'program.dataUrl', message: /did you mean 'data_url'/ }],
  ['unknown program field, no look-alike', { op: 'add', data: DATA, zzzzzz: 1 }, { code: 'INVALID_JOB', path: 'program.zzzzzz', message: /allowed: op, imm/ }],
  ['data not a string', { op: 'add', data: [1, 2] }, { code: 'INVALID_JOB', path: 'program.data' }],
  ['data with invalid characters', { op: 'add', data: 'aGVsbG8*' }, { code: 'INVALID_JOB', path: 'program.data', message: /base64/ }],
  ['data with an impossible length', { op: 'add', data: 'aGVsb' }, { code: 'INVALID_JOB', path: 'program.data' }],
  ['data with whitespace', { op: 'add', data: 'aGVs bG8=' }, { code: 'INVALID_JOB', path: 'program.data' }],
  ['inline data over 16 MiB (size is checked before content)', { op: 'add', data: '*'.repeat(4 * 5_600_000) }, { code: 'PAYLOAD_TOO_LARGE', path: 'program.data', message: /blob/ }],
  ['inline data one byte over 16 MiB', { op: 'add', data: Buffer.alloc(SIXTEEN_MIB + 1).toString('base64') }, { code: 'PAYLOAD_TOO_LARGE', path: 'program.data' }],
  ['window past inline end (length)', { op: 'add', data: DATA, offset: 10, length: 5 }, { code: 'WINDOW_OUT_OF_RANGE', path: 'program.length' }],
  ['window past inline end (offset)', { op: 'add', data: DATA, offset: 15 }, { code: 'WINDOW_OUT_OF_RANGE', path: 'program.offset' }],
  ['offset negative', { op: 'add', blob: 'b', offset: -1 }, { code: 'INVALID_JOB', path: 'program.offset' }],
  ['offset 1.5', { op: 'add', blob: 'b', offset: 1.5 }, { code: 'INVALID_JOB', path: 'program.offset' }],
  ['offset past safe integers', { op: 'add', blob: 'b', offset: 2 ** 53 }, { code: 'INVALID_JOB', path: 'program.offset' }],
  ['offset as string', { op: 'add', blob: 'b', offset: '0' }, { code: 'INVALID_JOB', path: 'program.offset' }],
  ['length NaN', { op: 'add', blob: 'b', length: NaN }, { code: 'INVALID_JOB', path: 'program.length' }],
  ['length Infinity', { op: 'add', blob: 'b', length: Infinity }, { code: 'INVALID_JOB', path: 'program.length' }],
  ['length over 1 GiB', { op: 'add', blob: 'b', length: 2 ** 30 + 1 }, { code: 'PAYLOAD_TOO_LARGE', path: 'program.length' }],
  ['data_url ftp', { op: 'add', data_url: 'ftp://host/x' }, { code: 'INVALID_JOB', path: 'program.data_url' }],
  ['data_url relative', { op: 'add', data_url: 'files/x.bin' }, { code: 'INVALID_JOB', path: 'program.data_url' }],
  ['data_url without host', { op: 'add', data_url: 'http://' }, { code: 'INVALID_JOB', path: 'program.data_url' }],
  ['data_url other local path', { op: 'add', data_url: '/etc/passwd' }, { code: 'INVALID_JOB', path: 'program.data_url' }],
  ['data_url blob path with bad id', { op: 'add', data_url: '/v1/blobs/../secret' }, { code: 'INVALID_JOB', path: 'program.data_url' }],
  ['data_url too long', { op: 'add', data_url: `https://h/${'a'.repeat(5000)}` }, { code: 'INVALID_JOB', path: 'program.data_url' }],
  ['blob empty', { op: 'add', blob: '' }, { code: 'INVALID_JOB', path: 'program.blob' }],
  ['blob 129 chars', { op: 'add', blob: 'a'.repeat(129) }, { code: 'INVALID_JOB', path: 'program.blob' }],
  ['blob with a slash', { op: 'add', blob: 'a/b' }, { code: 'INVALID_JOB', path: 'program.blob' }],
  ['fnv_state too short', { op: 'fnv64', blob: 'b', fnv_state: 'abc' }, { code: 'INVALID_JOB', path: 'program.fnv_state' }],
  ['fnv_state not hex', { op: 'fnv64', blob: 'b', fnv_state: 'zzzzzzzzzzzzzzzz' }, { code: 'INVALID_JOB', path: 'program.fnv_state' }],
  ['fnv_state as number', { op: 'fnv64', blob: 'b', fnv_state: 12345 }, { code: 'INVALID_JOB', path: 'program.fnv_state' }],
  ['single false with op shorthand', { op: 'add', blob: 'b', single: false }, { code: 'INVALID_JOB', path: 'program.single' }],
  ['single true with two ops', { ops: ['add', 'xor'], blob: 'b', single: true }, { code: 'INVALID_JOB', path: 'program.single' }],
];

test(`rejects bad programs with the right code and path (${rejects.length} cases)`, () => {
  for (const [label, input, expected] of rejects) assertPacketFSError(() => normalizeProgram(input), expected, label);
});

test('error paths follow the given base path', () => {
  assertPacketFSError(() => normalizeProgram({ ops: ['add', { op: 'xor', imm: 300 }], blob: 'b' }, 'jobs[2].program'),
    { code: 'INVALID_JOB', path: 'jobs[2].program.ops[1].imm' }, 'nested base path');
});

test('status codes: INVALID_JOB 400, PAYLOAD_TOO_LARGE 413, WINDOW_OUT_OF_RANGE 400', () => {
  const statusOf = (input: unknown) => {
    try { normalizeProgram(input); } catch (err) { return (err as { status: number }).status; }
    return undefined;
  };
  assert.equal(statusOf({ op: 'nope', blob: 'b' }), 400);
  assert.equal(statusOf({ op: 'add', blob: 'b', length: 2 ** 31 }), 413);
  assert.equal(statusOf({ op: 'add', data: DATA, length: 99 }), 400);
});
