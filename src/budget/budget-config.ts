import { PacketFSError } from '../errors.js';
import { fieldPath } from '../job/field-path.js';
import { isPlainObject } from '../job/range-checks.js';

/**
 * The `budget` section of packetfs.config.json (docs/costs.md). Periods are
 * UTC days and months; per-substrate limits are keyed by substrate name.
 * Every limit is optional: an absent one does not limit.
 */
export interface PeriodLimits {
  daily_usd?: number;
  monthly_usd?: number;
}

export interface BudgetConfig extends PeriodLimits {
  per_substrate?: Record<string, PeriodLimits>;
}

/** a limit above this is a typo, not a budget */
const MAX_LIMIT_USD = 1_000_000_000;
const LIMIT_KEYS = ['daily_usd', 'monthly_usd'] as const;
const SUBSTRATE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Validates a budget section; every error is INVALID_REQUEST naming the field (`budget.per_substrate.lambda.daily_usd`). */
export function checkBudget(value: unknown, path = 'budget'): BudgetConfig {
  if (!isPlainObject(value)) throw invalid(path, 'must be an object with daily_usd, monthly_usd and/or per_substrate');
  const out: BudgetConfig = checkLimits(value, path, ['per_substrate']);
  if (value.per_substrate !== undefined) {
    const at = fieldPath(path, 'per_substrate');
    if (!isPlainObject(value.per_substrate)) throw invalid(at, 'must be an object: substrate name → {daily_usd, monthly_usd}');
    const per: Record<string, PeriodLimits> = {};
    for (const [name, limits] of Object.entries(value.per_substrate)) {
      const entry = fieldPath(at, name);
      if (!SUBSTRATE_NAME.test(name)) throw invalid(entry, 'must be keyed by a substrate name (letters, digits, . _ -, up to 63)');
      if (!isPlainObject(limits)) throw invalid(entry, 'must be an object with daily_usd and/or monthly_usd');
      per[name] = checkLimits(limits, entry, []);
    }
    out.per_substrate = per;
  }
  return out;
}

function checkLimits(value: Record<string, unknown>, path: string, extra: readonly string[]): PeriodLimits {
  const out: PeriodLimits = {};
  for (const [key, v] of Object.entries(value)) {
    if (extra.includes(key)) continue;
    if (!(LIMIT_KEYS as readonly string[]).includes(key)) {
      throw invalid(fieldPath(path, key), `unknown key "${key}" (known: ${[...LIMIT_KEYS, ...extra].join(', ')})`);
    }
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_LIMIT_USD)) {
      throw invalid(fieldPath(path, key), `must be a number of US dollars 0..${MAX_LIMIT_USD}`);
    }
    out[key as keyof PeriodLimits] = v;
  }
  return out;
}

function invalid(path: string, message: string): PacketFSError {
  return new PacketFSError('INVALID_REQUEST', `${path} ${message}`, { path });
}

/** Whether the config sets any limit at all. */
export function hasLimits(budget: BudgetConfig | undefined): boolean {
  if (budget === undefined) return false;
  if (budget.daily_usd !== undefined || budget.monthly_usd !== undefined) return true;
  return Object.values(budget.per_substrate ?? {}).some((l) => l.daily_usd !== undefined || l.monthly_usd !== undefined);
}
