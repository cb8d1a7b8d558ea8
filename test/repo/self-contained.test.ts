import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository stands on its own (issue 14 item 1): browsed or cloned
 * alone, every relative link in its Markdown reaches a file in it (and the
 * heading its #anchor names), and no file names a path that climbs out of it
 * (the op vectors once lived in a folder beside it).
 */
const ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  // from dist/test/repo the first package.json up is the repository's own
  while (!existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();
const SKIP = new Set(['node_modules', 'dist', '.git']);
/** the folder beside the repository the vectors once came from (spelled in two parts so this file does not name it) */
const OLD_SHARED = ['..', 'shared'].join('/');

function files(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return files(full, keep);
    return keep(name) ? [full] : [];
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const slug = heading[1]!.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replaceAll(' ', '-');
    const n = seen.get(slug) ?? 0;
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
    seen.set(slug, n + 1);
  }
  for (const m of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]!);
  return anchors;
}

test('every relative link in the Markdown resolves to a file in the repository, and its #anchor to a heading', () => {
  const docs = files(ROOT, (name) => name.endsWith('.md'));
  assert.ok(docs.some((f) => f.endsWith('README.md')) && docs.length > 10, `${docs.length} Markdown files`);
  const broken: string[] = [];
  let checked = 0;
  for (const doc of docs) {
    const text = readFileSync(doc, 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const resolved = file === '' ? doc : path.resolve(path.dirname(doc), decodeURIComponent(file));
      const where = `${path.relative(ROOT, doc)}: ${target}`;
      checked++;
      if (!resolved.startsWith(ROOT + path.sep) && resolved !== ROOT) { broken.push(`${where} (outside the repository)`); continue; }
      if (!existsSync(resolved)) { broken.push(`${where} (no such file)`); continue; }
      if (anchor !== undefined && anchor !== '' && resolved.endsWith('.md') && !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor.toLowerCase())) {
        broken.push(`${where} (no heading #${anchor})`);
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked > 50, `${checked} links checked`);
});

test('no source, script, test or document names a path outside the repository', () => {
  const sources = files(ROOT, (name) => /\.(ts|mts|mjs|js|py|md|json|toml|sh)$/.test(name) || name === 'run');
  const escapes: string[] = [];
  for (const file of sources) {
    const text = readFileSync(file, 'utf8');
    if (text.includes(OLD_SHARED)) escapes.push(`${path.relative(ROOT, file)}: names ${OLD_SHARED}`);
    // every quoted relative path that climbs must stay inside, resolved from where the file runs:
    // TypeScript under src/, test/ and bench/ runs from its compiled copy under dist/
    const rel = path.relative(ROOT, file);
    const runsFrom = /^(src|test|bench)\//.test(rel) && /\.m?ts$/.test(rel) ? path.join(ROOT, 'dist', rel) : file;
    for (const m of text.matchAll(/['"`]((?:\.\.\/)+[^'"`\s]*)['"`]/g)) {
      const resolved = path.resolve(path.dirname(runsFrom), m[1]!);
      if (!resolved.startsWith(ROOT + path.sep)) escapes.push(`${path.relative(ROOT, file)}: ${m[1]}`);
    }
  }
  assert.deepEqual(escapes, []);
  assert.ok(sources.length > 300, `${sources.length} files read`);
});
