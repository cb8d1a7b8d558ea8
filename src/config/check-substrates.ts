import { Type } from '../schema/type.js';
import { PacketFSError } from '../errors.js';
import { fieldPath } from '../schema/field-path.js';
import { SubstrateEntrySchema, type SubstrateEntry } from '../schema/config-schema.js';
import { validator } from '../schema/validator.js';

/**
 * Validates the `substrates` section of packetfs.config.json against its
 * schema (src/schema/config-schema.ts), then what a schema cannot say:
 * unique names, a pricing model's own rate, fly machines min <= max. Every
 * problem is an INVALID_REQUEST naming the exact field (`substrates[1].url`),
 * so the CLI can print it and exit 2. A key that looks like it holds a
 * secret itself (`token`, `api_token`, `credentials`) is refused with a
 * pointer to the matching `*_env` key: config files get committed.
 */
const SECRET_KEYS: Readonly<Record<string, string>> = { token: 'token_env', api_token: 'api_token_env', credentials: 'credentials_env', id_token: 'id_token_env' };

/** Unknown keys in the config file, and the ones that look like secrets. */
export function unknownConfigKey(key: string, _path: string, known: readonly string[]): string {
  const pointer = SECRET_KEYS[key];
  if (pointer !== undefined) return `"${key}" must not hold a secret in the config file; put it in an environment variable and name that with "${pointer}"`;
  return `unknown key "${key}" (known: ${known.join(', ')})`;
}

const entries = validator(Type.Array(SubstrateEntrySchema, { errorMessage: '{path} must be an array of substrate entries' }), {
  code: 'INVALID_REQUEST', unknownKey: unknownConfigKey,
});

export function checkSubstrates(value: unknown, path = 'substrates'): SubstrateEntry[] {
  if (!entries.check(value)) throw entries.fail(value, path);
  const names = new Set<string>(['local']);
  value.forEach((entry, i) => {
    const at = `${path}[${i}]`;
    if (names.has(entry.name)) throw invalid(fieldPath(at, 'name'), `the name "${entry.name}" is already used (names must be unique, and "local" is taken)`);
    names.add(entry.name);
    checkPricing(entry, at);
    if (entry.type === 'fly' && entry.machines !== undefined && entry.machines.min > entry.machines.max) {
      throw invalid(fieldPath(fieldPath(at, 'machines'), 'min'), `min (${entry.machines.min}) must not exceed max (${entry.machines.max})`);
    }
  });
  return value;
}

/** A pricing model needs its own rate; rates of another model are a sign of a typo. */
function checkPricing(entry: SubstrateEntry, at: string): void {
  const p = entry.type === 'spot' ? undefined : entry.pricing;
  if (p?.model === undefined) {
    if (p !== undefined && ['usd_per_hour', 'usd_per_invocation', 'usd_per_gb_second', 'usd_per_request'].some((k) => k in p)) {
      throw invalid(fieldPath(fieldPath(at, 'pricing'), 'model'), 'pricing.model is required when rates are given (free, per_hour, per_invocation, per_gb_second)');
    }
    return;
  }
  const needs: Record<string, string | null> = { free: null, per_hour: 'usd_per_hour', per_invocation: 'usd_per_invocation', per_gb_second: 'usd_per_gb_second' };
  const rate = needs[p.model];
  if (rate !== null && rate !== undefined && !(rate in p)) throw invalid(fieldPath(fieldPath(at, 'pricing'), rate), `pricing model ${p.model} needs ${rate}`);
}

function invalid(path: string, message: string): PacketFSError {
  return new PacketFSError('INVALID_REQUEST', message, { path });
}
