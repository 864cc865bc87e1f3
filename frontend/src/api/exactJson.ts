// JSON with integers kept exact, for the record data the UI shows (records, preview records,
// quarantined payloads). JSON.parse turns every number into a double, so an integer beyond
// Number.MAX_SAFE_INTEGER (9007199254740993, a 64-bit id, a bigger count) would show rounded
// (9007199254740992, 1.2345678901234568e+22). parseJsonExact keeps such an integer as a BigInt
// (every other value as JSON.parse gives it); stringifyJson writes a BigInt back as its digits.
// The rest of the app keeps plain JSON.

/** Marks a big integer while parsing and stringifying: private-use characters and a per-load
 * nonce, so no string of the data is taken for one. */
const MARK = `\uE000${Math.random().toString(36).slice(2)}\uE000`;
const MARKED = new RegExp(`"${MARK}(-?\\d+)${MARK}"`, "g");
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The text with each integer literal too big for a double (outside strings) written as a marked
 * string; the text itself when it has none. */
function markBigIntegers(text: string): string {
  if (!/\d{16}/.test(text)) return text; // no integer of 16 digits or more: nothing to keep
  let out = "";
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      // skip the string, escapes included
      i += 1;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
      i += 1;
    } else if (ch === 0x2d /* - */ || (ch >= 0x30 && ch <= 0x39)) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (!match) return text; // not JSON: JSON.parse says so
      const literal = match[0];
      if (/^-?\d+$/.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(copied, i)}"${MARK}${literal}${MARK}"`;
        copied = i + literal.length;
      }
      i += literal.length;
    } else {
      i += 1;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** JSON.parse, but an integer beyond the safe range is a BigInt holding its exact digits. */
export function parseJsonExact(text: string): unknown {
  const marked = markBigIntegers(text);
  if (marked === text) return JSON.parse(text);
  const prefix = `${MARK}`;
  return JSON.parse(marked, (_key, value: unknown) => {
    if (typeof value === "string" && value.startsWith(prefix) && value.endsWith(MARK)) {
      return BigInt(value.slice(prefix.length, -MARK.length));
    }
    return value;
  });
}

/** JSON.stringify that writes a BigInt as its digits (as the API sent it). */
export function stringifyJson(value: unknown, indent?: number): string | undefined {
  let found = false;
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== "bigint") return item;
    found = true;
    return `${MARK}${item.toString()}${MARK}`;
  }, indent) as string | undefined;
  return found && text !== undefined ? text.replace(MARKED, "$1") : text;
}

/** The value with every BigInt made a plain number again (for a value the app sends back). */
export function plainJson<T>(value: T): T {
  if (typeof value === "bigint") return Number(value) as T;
  if (Array.isArray(value)) return value.map(plainJson) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plainJson(item)])) as T;
  }
  return value;
}
