import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Check } from '@sinclair/typebox/value';
import { describeFailure, type Validator, type ValidatorOptions } from './validator.js';

/**
 * validator.ts with the check compiled: TypeBox's TypeCompiler generates the
 * checking code once, on first use, which keeps the submit path (100k+
 * jobs/s) as fast as hand-written checks. Where generating code from strings
 * is refused (a strict CSP, workerd) it falls back to the interpreter: the
 * same rules, slower. Failures are described exactly as validator.ts does.
 */
export function compiledValidator<S extends TSchema>(schema: S, opts: ValidatorOptions): Validator<Static<S>> {
  let compiled: ((value: unknown) => boolean) | undefined;
  return {
    check: (value): value is Static<S> => {
      compiled ??= compile(schema);
      return compiled(value);
    },
    fail: (value, base = '') => describeFailure(schema, value, base, opts),
  };
}

function compile(schema: TSchema): (value: unknown) => boolean {
  try {
    const c = TypeCompiler.Compile(schema);
    return (value) => c.Check(value);
  } catch (err) {
    if (!(err instanceof EvalError)) throw err;
    return (value) => Check(schema, value);
  }
}
