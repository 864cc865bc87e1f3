// The choice a value outside a fixed set most likely means, as the API words it ("... Did you mean
// 'int'?", core/choices.py `meant_choice`), for the checks the UI makes before sending: a known
// other name of a choice, the same word in another case, or a close spelling.

/** Other names users bring from other tools for a choice of ours (core/choices.py KNOWN_ALIASES,
 * the ones of choices the UI checks; choices.test.ts keeps the two equal). */
export const KNOWN_ALIASES: Readonly<Record<string, string>> = {
  // type names of JSON Schema, SQL and other tools for the transformation rules' conversions
  integer: "int",
  string: "str",
  boolean: "bool",
  double: "float",
  timestamp: "datetime",
};

/** The number of characters two texts share in matching blocks, found as Python's
 * difflib.SequenceMatcher finds them: the longest common block, then the same on each side of it. */
function matchingCharacters(a: string, b: string): number {
  let best = 0;
  let bestA = 0;
  let bestB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < b.length; j++) {
      let k = 0;
      while (i + k < a.length && j + k < b.length && a[i + k] === b[j + k]) k++;
      if (k > best) [best, bestA, bestB] = [k, i, j];
    }
  }
  if (best === 0) return 0;
  return best + matchingCharacters(a.slice(0, bestA), b.slice(0, bestB)) + matchingCharacters(a.slice(bestA + best), b.slice(bestB + best));
}

/** How alike two texts are, from 0 to 1 (difflib's ratio: twice the shared characters over both lengths). */
function similarity(a: string, b: string): number {
  return a.length + b.length === 0 ? 1 : (2 * matchingCharacters(a, b)) / (a.length + b.length);
}

/** The choice `value` most likely means: a known other name of one, the same word in another case,
 * or the closest spelling at least 0.6 alike; null when none is close. */
export function meantChoice(value: string, choices: readonly string[]): string | null {
  const text = value.trim().toLowerCase();
  const alias = KNOWN_ALIASES[text];
  if (alias !== undefined && choices.includes(alias)) return alias;
  const byCase = new Map(choices.map((choice) => [choice.toLowerCase(), choice]));
  if (byCase.has(text)) return byCase.get(text)!;
  let meant: string | null = null;
  let best = 0.6;
  for (const [lower, choice] of byCase) {
    const score = similarity(text, lower);
    if (score >= best && (meant === null || score > best)) [meant, best] = [choice, score];
  }
  return meant;
}

/** " Did you mean 'int'?" after a message about `value`, or "" when no choice is close. */
export function didYouMean(value: unknown, choices: readonly string[]): string {
  const meant = typeof value === "string" ? meantChoice(value, choices) : null;
  return meant === null ? "" : ` Did you mean '${meant}'?`;
}
