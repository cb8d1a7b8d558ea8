import { readFile } from 'node:fs/promises';
import { checkSubstrates } from '../config/index.js';
import { unknownConfigKey } from '../config/check-substrates.js';
import { ServeConfigSchema, type ServeConfig } from '../schema/config-schema.js';
import { validator } from '../schema/validator.js';
import { checkBudget } from '../budget/budget-config.js';
import { PacketFSError } from '../errors.js';
import { UsageError } from './usage-error.js';

/**
 * The `serve` config file (JSON). Keys mirror the flags; flags (and the env
 * variables they read) override the file. The file never holds the token
 * itself, only `token_env`: the NAME of the variable that does, so config
 * files can be committed and shared. Its schema, and the types below, are in
 * src/schema/config-schema.ts.
 */
export { FSYNC_MODES, LOG_LEVELS, POLICIES, STORE_KINDS, type FsyncModeName, type LogLevelName, type ServeConfig, type StoreKind } from '../schema/config-schema.js';

export const DEFAULT_CONFIG_FILE = 'packetfs.config.json';

const configs = validator(ServeConfigSchema, {
  code: 'INVALID_REQUEST',
  unknownKey: (key, path, known) => path === 'token'
    ? '"token" is not allowed in a config file; put the token in an environment variable and name it with "token_env"'
    : unknownConfigKey(key, path, known),
});

/**
 * Reads and checks a config file. A missing file is fine only when it is the
 * default one (`explicit` false); every problem names the file and the key.
 */
export async function loadConfig(path: string, explicit: boolean): Promise<ServeConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read config file ${path}: ${(err as Error).message}`, '--config');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(err as Error).message}`, '--config');
  }
  return checkConfig(parsed, path);
}

export function checkConfig(parsed: unknown, source: string): ServeConfig {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`config file ${source} must hold a JSON object`);
  }
  try {
    if (!configs.check(parsed)) throw configs.fail(parsed);
    // what the schema cannot say about substrates (unique names, pricing rates)
    if (parsed.substrates !== undefined) checkSubstrates(parsed.substrates);
    if (parsed.budget !== undefined) checkBudget(parsed.budget);
  } catch (err) {
    if (err instanceof PacketFSError) throw new UsageError(`${source}: ${err.message}`, err.path);
    throw err;
  }
  return parsed;
}
