import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection.js';

/**
 * The store's Lua scripts, one file each in ./lua, named `<name>-<numKeys>.lua`
 * with a header documenting KEYS, ARGV and the reply. Shared fragments live in
 * ./lua/includes and are pulled in by a `--- @include "<name>"` line (the
 * BullMQ convention), so each script sent to Redis is self-contained.
 *
 * Scripts run by EVALSHA. They are loaded into Redis on every connection
 * (preloadScripts); should one still be missing (SCRIPT FLUSH, a restart we
 * have not noticed yet) the NOSCRIPT reply makes us send it with EVAL.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly name: string, readonly numKeys: number, readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (keys.length !== this.numKeys) throw new Error(`${this.name}: expected ${this.numKeys} keys, got ${keys.length}`);
    try {
      // one array, not spread arguments: a batch of 10,000 jobs is 50,000 of them
      return await redis.call('evalsha', [this.sha, this.numKeys, ...keys, ...args]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return await redis.call('eval', [this.source, this.numKeys, ...keys, ...args]);
    }
  }
}

const INCLUDE = /^--- @include "([a-z-]+)"$/gm;

/**
 * The folder holding the .lua files. tsc does not copy them into dist/, so a
 * compiled module (dist/src/store/redis) falls back to the sources next to it
 * in the package (src/store/redis/lua).
 */
function luaDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'lua');
  if (existsSync(beside)) return beside;
  const fromDist = join(here, '..', '..', '..', '..', 'src', 'store', 'redis', 'lua');
  if (existsSync(fromDist)) return fromDist;
  throw new Error(`Redis store: Lua scripts not found in ${beside} or ${fromDist}`);
}

function loadScript(dir: string, file: string): LuaScript {
  const match = /^(.+)-(\d+)\.lua$/.exec(file);
  if (match === null) throw new Error(`Redis store: script file ${file} is not named <name>-<numKeys>.lua`);
  const source = readFileSync(join(dir, file), 'utf8')
    .replace(INCLUDE, (_, name: string) => readFileSync(join(dir, 'includes', `${name}.lua`), 'utf8'));
  return new LuaScript(match[1]!, Number(match[2]), source);
}

function loadAll() {
  const dir = luaDir();
  return {
    enqueue: loadScript(dir, 'enqueue-15.lua'),
    take: loadScript(dir, 'take-15.lua'),
    complete: loadScript(dir, 'complete-15.lua'),
    retryLater: loadScript(dir, 'retry-later-15.lua'),
    extendLeases: loadScript(dir, 'extend-leases-2.lua'),
    cancel: loadScript(dir, 'cancel-15.lua'),
    recordRejected: loadScript(dir, 'record-rejected-15.lua'),
    sweepExpired: loadScript(dir, 'sweep-expired-15.lua'),
    defer: loadScript(dir, 'defer-15.lua'),
    depth: loadScript(dir, 'depth-3.lua'),
    peek: loadScript(dir, 'peek-3.lua'),
    list: loadScript(dir, 'list-2.lua'),
    reclaimOutbox: loadScript(dir, 'reclaim-outbox-1.lua'),
    ingressClaim: loadScript(dir, 'ingress-claim-3.lua'),
    ingressReclaim: loadScript(dir, 'ingress-reclaim-1.lua'),
  };
}

export type Scripts = ReturnType<typeof loadAll>;

/**
 * Puts every script in Redis's script cache (SCRIPT LOAD), so the first
 * EVALSHA of a big batch is not refused and sent a second time as EVAL.
 * Called on every (re)connection: a restarted Redis has an empty cache. On a
 * Cluster, every master gets them (each has its own cache).
 */
export async function preloadScripts(redis: RedisClient): Promise<void> {
  const targets: RedisClient[] = redis.isCluster ? (redis as Cluster).nodes('master') : [redis];
  await Promise.all(targets.map((node) => Promise.all(Object.values(scripts()).map((script) => node.script('LOAD', script.source)))));
}

let loaded: Scripts | undefined;

/** All scripts, read from disk once per process. */
export function scripts(): Scripts {
  loaded ??= loadAll();
  return loaded;
}
