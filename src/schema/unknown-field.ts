/** The message for a key no schema names, with a hint when it looks like a typo of a known one. */
export function unknownFieldMessage(key: string, known: readonly string[]): string {
  const guess = suggestField(key, known);
  const hint = guess === undefined ? `; allowed: ${known.join(', ')}` : `; did you mean '${guess}'?`;
  return `unknown field '${key}'${hint}`;
}

/**
 * The known name `key` most likely meant: same name ignoring case and
 * separators (`timeoutS`, `Job-Id`), else the nearest by edit distance when
 * the distance is small next to the name's length.
 */
export function suggestField(key: string, known: readonly string[]): string | undefined {
  const squashed = squash(key);
  for (const name of known) if (squash(name) === squashed) return name;
  const lower = key.toLowerCase();
  const allowed = Math.max(1, Math.min(3, Math.floor(lower.length / 3)));
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const name of known) {
    const d = editDistance(lower, name);
    if (d < bestDistance) { best = name; bestDistance = d; }
  }
  return best;
}

function squash(s: string): string {
  return s.toLowerCase().replace(/[_\-\s]/g, '');
}

/** Levenshtein distance; error path only, so the simple two-row version is enough. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
