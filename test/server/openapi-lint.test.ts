import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { openApiDocument } from '../../src/server/openapi-document.js';

/**
 * The document passes a standard OpenAPI linter: Redocly CLI with its
 * `recommended` rules, zero errors and zero warnings. Run as the CLI a user
 * would run (`redocly lint`), on exactly what /openapi.json serves.
 */
test('redocly lint finds no error and no warning in /openapi.json', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'packetfs-openapi-lint-'));
  try {
    const file = join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(openApiDocument));
    const cli = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'lint', file, '--format=json', '--extends=recommended'], {
      cwd: dir, timeout: 60_000, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    }).catch((err: { stdout?: string; message: string }) => {
      // lint exits non-zero on errors; the JSON report is still on stdout
      if (typeof err.stdout === 'string' && err.stdout.includes('"problems"')) return { stdout: err.stdout };
      throw err;
    });
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }> };
    const problems = report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    assert.deepEqual(problems, [], 'no problems');
    assert.deepEqual([report.totals.errors, report.totals.warnings], [0, 0]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
