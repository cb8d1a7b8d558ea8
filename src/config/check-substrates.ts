import { PacketFSError } from '../errors.js';
import { isPlainObject } from '../job/range-checks.js';
import { indexPath, fieldPath } from '../job/field-path.js';
import { SUBSTRATE_TYPES, type SubstrateEntry } from './substrate-entries.js';

/**
 * Validates the `substrates` section of packetfs.config.json. Every problem
 * is an INVALID_REQUEST naming the exact field (`substrates[1].url`), so the
 * CLI can print it and exit 2. A key that looks like it holds a secret
 * itself (`token`, `api_token`, `credentials`) is refused with a pointer to
 * the matching `*_env` key: config files get committed.
 */
type Spec = Record<string, Rule>;
type Rule = { check: (value: unknown, path: string) => void; required?: boolean };

const PRICING_MODELS = ['free', 'per_hour', 'per_invocation', 'per_gb_second'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** the runtimes take at most this many jobs per request */
const MAX_BATCH = 1000;
const SECRET_KEYS: Record<string, string> = { token: 'token_env', api_token: 'api_token_env', credentials: 'credentials_env', id_token: 'id_token_env' };

const str: Rule = { check: (v, p) => expect(typeof v === 'string' && v !== '' && v.length <= 2048, p, 'a non-empty string') };
const envName: Rule = { check: (v, p) => expect(typeof v === 'string' && ENV_NAME.test(v), p, 'the name of an environment variable') };
const url: Rule = { check: (v, p) => expect(isHttpUrl(v), p, 'an absolute http:// or https:// URL') };
const int = (min: number, max: number): Rule => ({ check: (v, p) => expect(Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max, p, `an integer from ${min} to ${max}`) });
const price: Rule = { check: (v, p) => expect(typeof v === 'number' && Number.isFinite(v) && v >= 0, p, 'a number >= 0 (USD)') };
const amount: Rule = price;
const oneOf = (choices: readonly string[]): Rule => ({ check: (v, p) => expect(typeof v === 'string' && choices.includes(v), p, `one of ${choices.join(', ')}`) });
const object = (spec: Spec): Rule => ({ check: (v, p) => checkObject(v, p, spec) });
const req = (rule: Rule): Rule => ({ ...rule, required: true });

const COMMON: Spec = {
  type: req(oneOf(SUBSTRATE_TYPES)),
  name: req({ check: (v, p) => expect(typeof v === 'string' && NAME.test(v), p, 'a name of letters, digits, . _ - (up to 63)') }),
  pricing: object({
    model: oneOf(PRICING_MODELS), usd_per_hour: price, usd_per_invocation: price, usd_per_gb_second: price, usd_per_request: price,
    cost_per_hour_usd: price, free_tier: object({ requests: amount, gb_seconds: amount, hours: amount }),
  }),
  limits: object({
    max_concurrent_jobs: int(1, 1_000_000), max_memory_mb: int(1, 1_048_576), max_duration_seconds: int(1, 86_400),
    max_batch: int(1, MAX_BATCH), concurrency: int(1, 1024),
  }),
  latency_ms: price,
};

const BY_TYPE: Record<typeof SUBSTRATE_TYPES[number], Spec> = {
  cloudflare: { ...COMMON, url: req(url), token_env: envName },
  vercel: { ...COMMON, url: req(url), token_env: envName },
  lambda: {
    ...COMMON, region: req(str), function_name: req(str), qualifier: str, endpoint: url,
    credentials_env: object({ access_key_id: req(envName), secret_access_key: req(envName), session_token: envName }),
  },
  fly: {
    ...COMMON, url: req(url), token_env: envName,
    machines: object({
      app: req(str), api_token_env: req(envName), api_url: url, min: req(int(0, 1000)), max: req(int(1, 1000)),
      jobs_per_machine: int(1, 1_000_000), idle_stop_s: int(1, 86_400),
    }),
  },
  cloudrun: { ...COMMON, url: req(url), id_token_env: envName, metadata_url: url },
  // spot prices come from EC2 (DescribeSpotPriceHistory), so no pricing block; see docs/spot.md
  spot: {
    type: COMMON.type!, name: COMMON.name!, latency_ms: price,
    region: req(str), image_id: req(str), instance_type: req(str), max_instances: req(int(1, 1000)),
    slots_per_instance: int(1, 1024), idle_terminate_s: int(1, 86_400), boot_timeout_s: int(10, 86_400),
    max_price_usd: price, subnet_id: str, key_name: str, iam_instance_profile: str, worker_command: str,
    security_group_ids: { check: (v, p) => expect(Array.isArray(v) && v.length <= 16 && v.every((g) => typeof g === 'string' && g !== '' && g.length <= 255), p, 'an array of security group ids') },
    coordinator_url: { check: (v, p) => expect(isWsUrl(v), p, 'a ws:// or wss:// URL of this dispatcher') },
    endpoint: url, max_memory_mb: int(1, 1_048_576),
    credentials_env: object({ access_key_id: req(envName), secret_access_key: req(envName), session_token: envName }),
  },
};

export function checkSubstrates(value: unknown, path = 'substrates'): SubstrateEntry[] {
  expect(Array.isArray(value), path, 'an array of substrate entries');
  const entries = value as unknown[];
  const names = new Set<string>(['local']);
  return entries.map((entry, i) => {
    const at = indexPath(path, i);
    expect(isPlainObject(entry), at, `an object with a "type" (${SUBSTRATE_TYPES.join(', ')})`);
    const type = (entry as Record<string, unknown>).type;
    COMMON.type!.check(type, fieldPath(at, 'type'));
    checkObject(entry, at, BY_TYPE[type as SubstrateEntry['type']]);
    const checked = entry as unknown as SubstrateEntry;
    if (names.has(checked.name)) throw invalid(fieldPath(at, 'name'), `the name "${checked.name}" is already used (names must be unique, and "local" is taken)`);
    names.add(checked.name);
    checkPricing(checked, at);
    if (checked.type === 'fly' && checked.machines !== undefined && checked.machines.min > checked.machines.max) {
      throw invalid(fieldPath(fieldPath(at, 'machines'), 'min'), `min (${checked.machines.min}) must not exceed max (${checked.machines.max})`);
    }
    return checked;
  });
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

function checkObject(value: unknown, path: string, spec: Spec): void {
  expect(isPlainObject(value), path, 'an object');
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const at = fieldPath(path, key);
    if (key in SECRET_KEYS && !(key in spec)) {
      throw invalid(at, `"${key}" must not hold a secret in the config file; put it in an environment variable and name that with "${SECRET_KEYS[key]}"`);
    }
    const rule = spec[key];
    if (rule === undefined) throw invalid(at, `unknown key "${key}" (known: ${Object.keys(spec).join(', ')})`);
    rule.check(obj[key], at);
  }
  for (const [key, rule] of Object.entries(spec)) {
    if (rule.required && obj[key] === undefined) throw invalid(fieldPath(path, key), `"${key}" is required`);
  }
}

function expect(ok: boolean, path: string, what: string): asserts ok {
  if (!ok) throw invalid(path, `${path} must be ${what}`);
}

function invalid(path: string, message: string): PacketFSError {
  return new PacketFSError('INVALID_REQUEST', message, { path });
}

function isWsUrl(v: unknown): boolean {
  if (typeof v !== 'string' || v.length > 2048) return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'ws:' || u.protocol === 'wss:') && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

function isHttpUrl(v: unknown): boolean {
  if (typeof v !== 'string' || v.length > 2048) return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}
