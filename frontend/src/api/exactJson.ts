// JSON with numbers kept exact, for the record data the UI shows (records, preview records,
// quarantined payloads). JSON.parse turns every number into a double, so an integer beyond
// Number.MAX_SAFE_INTEGER (9007199254740993, a 64-bit id, a bigger count) would show rounded
// (9007199254740992, 1.2345678901234568e+22), and so would a decimal with more digits than a double
// holds (0.1000000000000000055511151231257827 as 0.1, 12345678901234567.5 as 12345678901234568) or
// beyond its range (1e400 as Infinity). parseJsonExact keeps such an integer as a BigInt and such a
// decimal as an ExactNumber holding the literal (every other value as JSON.parse gives it: 0.1 and
// 3.14 stay numbers); stringifyJson writes both back as the API sent them.
// The rest of the app keeps plain JSON.

/** A number from the API that a double cannot hold exactly (a fraction or an exponent with more
 * digits or range than a double has), kept as its literal: String(value) is the literal. */
export class ExactNumber {
  readonly #literal: string;

  constructor(literal: string) {
    this.#literal = literal;
  }

  /** The number as the API wrote it ("0.1000000000000000055511151231257827", "1e400"). */
  toString(): string {
    return this.#literal;
  }

  /** The nearest double (for a value the app sends back). */
  toNumber(): number {
    return Number(this.#literal);
  }
}

/** A JSON object of record data: neither an array nor an exact number. */
export function isJsonObject<T>(value: T): value is Exclude<T, ExactNumber | unknown[] | null | undefined> & object {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof ExactNumber);
}

/** Marks a big integer or an exact number while parsing and stringifying: private-use characters and a per-load
 * nonce, so no string of the data is taken for one. */
const MARK = `\uE000${Math.random().toString(36).slice(2)}\uE000`;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const MARKED = new RegExp(`"${MARK}(${NUMBER.source})${MARK}"`, "g");
const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
/** Text that may hold a number a double cannot: 16 digits or more (a dot among them or not), or an
 * exponent of three digits. A decimal of 15 significant digits or fewer with a smaller exponent
 * is a normal double that prints back as written. */
const MAY_NEED_EXACT = /\d{16}|[\d.]{17}|[eE][+-]?\d{3}/;

/** A decimal literal's value as "digits e exponent", without leading or trailing zeros ("0" for
 * zero): two literals of the same value give the same text ("1.50" and "15e-1": "15e-1"). */
function decimalValue(literal: string): string | null {
  const match = DECIMAL.exec(literal);
  if (!match) return null; // "Infinity": no decimal
  const [, whole, fraction = "", exponent = "0"] = match;
  let digits = (whole! + fraction).replace(/^0+/, "");
  if (!digits) return "0";
  const trailing = digits.length - digits.replace(/0+$/, "").length;
  digits = digits.slice(0, digits.length - trailing);
  const sign = literal.startsWith("-") ? "-" : "";
  return `${sign}${digits}e${BigInt(exponent) - BigInt(fraction.length) + BigInt(trailing)}`;
}

/** Whether the double JSON.parse makes of a literal prints back as the same value. */
function isExactDouble(literal: string): boolean {
  return decimalValue(literal) === decimalValue(String(Number(literal)));
}

/** Whether a literal is kept exact: an integer beyond the safe range, or a decimal a double
 * cannot hold (0.1 and 3.14 can: they print back as written). */
function needsExact(literal: string): boolean {
  return INTEGER.test(literal) ? !Number.isSafeInteger(Number(literal)) : !isExactDouble(literal);
}

/** The text with each number literal a double cannot hold (outside strings) written as a marked
 * string; the text itself when it has none. */
function markExactNumbers(text: string): string {
  if (!MAY_NEED_EXACT.test(text)) return text; // nothing a double cannot hold: nothing to keep
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
      if (needsExact(literal)) {
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

/** JSON.parse, but an integer beyond the safe range is a BigInt holding its exact digits, and a
 * decimal a double cannot hold an ExactNumber holding its literal. */
export function parseJsonExact(text: string): unknown {
  const marked = markExactNumbers(text);
  if (marked === text) return JSON.parse(text);
  const prefix = `${MARK}`;
  return JSON.parse(marked, (_key, value: unknown) => {
    if (typeof value === "string" && value.startsWith(prefix) && value.endsWith(MARK)) {
      const literal = value.slice(prefix.length, -MARK.length);
      return INTEGER.test(literal) ? BigInt(literal) : new ExactNumber(literal);
    }
    return value;
  });
}

/** JSON.stringify that writes a BigInt as its digits and an ExactNumber as its literal (as the API
 * sent them). */
export function stringifyJson(value: unknown, indent?: number): string | undefined {
  let found = false;
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item !== "bigint" && !(item instanceof ExactNumber)) return item;
    found = true;
    return `${MARK}${String(item)}${MARK}`;
  }, indent) as string | undefined;
  return found && text !== undefined ? text.replace(MARKED, "$1") : text;
}

/** The value with every BigInt and ExactNumber made a plain number again (for a value the app
 * sends back). */
export function plainJson<T>(value: T): T {
  if (typeof value === "bigint") return Number(value) as T;
  if (value instanceof ExactNumber) return value.toNumber() as T;
  if (Array.isArray(value)) return value.map(plainJson) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plainJson(item)])) as T;
  }
  return value;
}
