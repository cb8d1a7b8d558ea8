#!/usr/bin/env node
/**
 * Fails when two folders of src/ depend on each other, directly or through
 * others (run by `npm run lint`, so by `npm test`). A folder is a layer
 * (job, store, scheduler, dispatcher, ...): a cycle between layers means
 * neither can be understood, tested or reused without the other, as when
 * the retry classification lived in runtimes/ and runtimes → substrates →
 * scheduler → dispatcher → runtimes went round.
 *
 * An edge is a value import (`import { x } from '../store/...'`, an
 * `export ... from`, a dynamic `import('...')`) from a file in one top-level
 * folder of src/ to a file in another. Type-only imports (`import type`, or
 * braces holding only `type` names) are left out: they vanish at run time
 * and naming a type is not depending on behaviour. Files directly in src/
 * (errors.ts, logger.ts, index.ts, ...) are leaves or the package entry and
 * count as their own nodes.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The top-level folder of `src` a file is in (or the file's own name directly in it). */
const layerOf = (src, file) => path.relative(src, file).split(path.sep)[0];

const STATIC = /^\s*(import|export)\s+([^;]*?)\s+from\s+['"](\.{1,2}\/[^'"]+)['"]/gms;
const DYNAMIC = /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

function typeOnly(clause) {
  if (/^type\s/.test(clause)) return true;
  const braces = /^\{([^}]*)\}$/.exec(clause.trim());
  if (braces === null) return false;
  const names = braces[1].split(',').map((s) => s.trim()).filter(Boolean);
  return names.length > 0 && names.every((n) => n.startsWith('type '));
}

/** layer → layer → the imports that make the edge (for the message); `files` are under `src` */
export function layerGraph(files = sourceFiles(SRC), src = SRC) {
  const edges = new Map();
  const add = (file, spec) => {
    const target = path.resolve(path.dirname(file), spec);
    if (!target.startsWith(src + path.sep)) return;
    const [from, to] = [layerOf(src, file), layerOf(src, target)];
    if (from === to) return;
    if (!edges.has(from)) edges.set(from, new Map());
    const out = edges.get(from);
    if (!out.has(to)) out.set(to, []);
    out.get(to).push(`${path.relative(ROOT, file)} → ${spec}`);
  };
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const [, , clause, spec] of text.matchAll(STATIC)) if (!typeOnly(clause)) add(file, spec);
    for (const [, spec] of text.matchAll(DYNAMIC)) add(file, spec);
  }
  return edges;
}

/** Strongly connected groups of more than one layer (Tarjan). */
export function cycles(edges) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const groups = [];
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  const nodes = new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])]);
  for (const v of [...nodes].sort()) if (!index.has(v)) visit(v);
  return groups;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const edges = layerGraph();
  const found = cycles(edges);
  if (found.length === 0) {
    console.log(`folder cycles: none among ${new Set([...edges.keys()]).size} folders of src/`);
  } else {
    for (const group of found) {
      console.error(`folder cycle among src/{${group.join(',')}}; the imports that close it:`);
      for (const from of group) {
        for (const [to, why] of edges.get(from) ?? []) {
          if (group.includes(to)) console.error(`  ${from} → ${to}: ${why.slice(0, 3).join('; ')}${why.length > 3 ? `; … ${why.length - 3} more` : ''}`);
        }
      }
    }
    process.exit(1);
  }
}
