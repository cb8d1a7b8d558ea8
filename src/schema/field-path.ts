/**
 * Builds the `path` of an error (`jobs[3].program.ops[1].imm`). Only called
 * when an error is thrown, so valid jobs never pay for the strings.
 */
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function fieldPath(base: string, key: string): string {
  // Odd keys (spaces, dots, empty) are quoted so the path stays unambiguous.
  const part = PLAIN_KEY.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (base === '') return part;
  return part.charCodeAt(0) === 91 /* [ */ ? base + part : `${base}.${part}`;
}

export function indexPath(base: string, index: number): string {
  return `${base}[${index}]`;
}
