import { BudgetSchema, type BudgetConfig } from '../schema/config-schema.js';
import { validator } from '../schema/validator.js';
import { unknownConfigKey } from '../config/check-substrates.js';

/**
 * The `budget` section of packetfs.config.json (docs/costs.md). Periods are
 * UTC days and months; per-substrate limits are keyed by substrate name.
 * Every limit is optional: an absent one does not limit. Its schema is in
 * src/schema/config-schema.ts (BudgetSchema).
 */
export type { BudgetConfig, PeriodLimits } from '../schema/config-schema.js';

const budgets = validator(BudgetSchema, { code: 'INVALID_REQUEST', unknownKey: unknownConfigKey });

/** Validates a budget section; every error is INVALID_REQUEST naming the field (`budget.per_substrate.lambda.daily_usd`). */
export function checkBudget(value: unknown, path = 'budget'): BudgetConfig {
  if (!budgets.check(value)) throw budgets.fail(value, path);
  return value;
}

/** Whether the config sets any limit at all. */
export function hasLimits(budget: BudgetConfig | undefined): boolean {
  if (budget === undefined) return false;
  if (budget.daily_usd !== undefined || budget.monthly_usd !== undefined) return true;
  return Object.values(budget.per_substrate ?? {}).some((l) => l.daily_usd !== undefined || l.monthly_usd !== undefined);
}
