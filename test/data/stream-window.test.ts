import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createNodeWindowContext } from '../../src/data/node-window-context.js';
import { runWindowProgram } from '../../src/data/window.js';
import type { ProgramSpec } from '../../src/job/types.js';
import { runOps } from '../../src/ops/index.js';
import { DATA, startDataServer, type DataServer } from './http-fixtures.js';

/**
 * data_url windows stream through op streams: the same results as reading
 * the window whole, the same checks on lying servers, and no window cap —
 * nothing is held (the context's maxWindowBytes is 100 bytes here).
 */
describe('streamed data_url windows', () => {
  let server: DataServer;
  before(async () => { server = await startDataServer(); });
  after(() => server.close());

  const ctx = () => createNodeWindowContext({ allowPrivate: true, maxWindowBytes: 100 });
  const program = (path: string, offset: number, length: number | null): ProgramSpec =>
    ({ ops: [{ op: 'crc32c', imm: 0 }, { op: 'fnv64', imm: 0 }, { op: 'add', imm: 5 }], single: false, data_url: server.origin + path, offset, length });

  for (const path of ['/range', '/whole', '/whole-chunked']) {
    test(`${path}: results equal a whole-window pass, past maxWindowBytes`, async () => {
      for (const [offset, length] of [[0, null], [3, 997], [250, 500], [999, 1], [1000, 0]] as Array<[number, number | null]>) {
        const { results, bytes } = await runWindowProgram(program(path, offset, length), ctx());
        const window = DATA.subarray(offset, length === null ? DATA.length : offset + length);
        assert.equal(bytes, window.length);
        assert.deepEqual(results, runOps(program(path, offset, length).ops, window));
      }
    });
  }

  test('lying 206 replies and windows past the end fail as when read whole', async () => {
    await assert.rejects(runWindowProgram(program('/short-206', 0, 500), ctx()), { code: 'DATA_FETCH_FAILED' });
    await assert.rejects(runWindowProgram(program('/long-206', 0, 500), ctx()), { code: 'DATA_FETCH_FAILED' });
    await assert.rejects(runWindowProgram(program('/shifted-206', 10, 500), ctx()), { code: 'DATA_FETCH_FAILED' });
    await assert.rejects(runWindowProgram(program('/range', 900, 200), ctx()), { code: 'WINDOW_OUT_OF_RANGE' });
    await assert.rejects(runWindowProgram(program('/whole', 900, 200), ctx()), { code: 'WINDOW_OUT_OF_RANGE' });
  });

  test('an abort stops a stalled stream with the abort reason', async () => {
    const controller = new AbortController();
    const running = runWindowProgram(program('/slow', 0, null), { ...ctx(), signal: controller.signal });
    await server.stalled();
    controller.abort(new DOMException('deadline', 'TimeoutError'));
    await assert.rejects(running, { code: 'TIMEOUT' });
  });
});
