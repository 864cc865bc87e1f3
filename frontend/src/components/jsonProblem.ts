// Why a typed text is not JSON, said the same way in every browser: where (line and column, as
// an editor counts them) and what, in words a person who does not read parser messages can act
// on. JSON.parse's own messages differ per browser ("Unexpected token } in JSON at position 12",
// "Expected double-quoted property name in JSON at position 12 (line 1 column 13)", "JSON.parse:
// expected double-quoted property name at line 1 column 13 of the JSON data") and name a
// character offset nobody can find in a text box.

export interface JsonProblem {
  /** 1-based, as an editor shows them. */
  line: number;
  column: number;
  reason: string;
}

/** Nesting deeper than this is left to the browser's parser (a scan must not overflow the stack). */
const MAX_DEPTH = 256;

class Stop {
  constructor(
    readonly index: number,
    readonly reason: string,
  ) {}
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t", "u"]);
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;

/** A character or word as a message quotes it: 'x', "'" for the apostrophe, "\t" for a control. */
function shown(text: string | undefined): string {
  if (text === undefined) return "the end";
  if (/[\x00-\x1f]/.test(text)) return JSON.stringify(text);
  return text === "'" ? `"'"` : `'${text}'`;
}

function scan(text: string): Stop | null {
  let i = 0;

  const skipWhitespace = () => {
    while (i < text.length && WHITESPACE.has(text[i]!)) i += 1;
  };

  const string = () => {
    const start = i;
    i += 1;
    while (i < text.length) {
      const char = text[i]!;
      if (char === '"') {
        i += 1;
        return;
      }
      if (char === "\\") {
        const next = text[i + 1];
        if (next === undefined || !ESCAPES.has(next)) throw new Stop(i, `${shown("\\" + (next ?? ""))} is not an escape JSON knows (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`);
        if (next === "u" && !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Stop(i, "\\u must be followed by four hexadecimal digits");
        i += next === "u" ? 6 : 2;
        continue;
      }
      if (char < " ") throw new Stop(i, char === "\n" ? 'a line break inside text: close the quotes first, or write it as \\n' : `a control character inside text: write it as an escape (${JSON.stringify(char)})`);
      i += 1;
    }
    throw new Stop(start, 'this text never ends: its closing double quote (") is missing');
  };

  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) throw new Stop(-1, "");
    skipWhitespace();
    const char = text[i];
    if (char === undefined) throw new Stop(i, "the text ends where a value should be");
    if (char === "{") return object(depth);
    if (char === "[") return array(depth);
    if (char === '"') return string();
    if (char === "'") throw new Stop(i, 'text must be in double quotes ("…"), not single quotes');
    if (char === "-" || (char >= "0" && char <= "9")) {
      const number = NUMBER.exec(text.slice(i))?.[0];
      if (!number) throw new Stop(i, `${shown(char)} does not start a number`);
      if (/^-?0\d/.test(text.slice(i, i + number.length + 1))) throw new Stop(i, "a number cannot start with 0 (write 7, not 07)");
      i += number.length;
      return;
    }
    const word = /^[A-Za-z_$][\w$]*/.exec(text.slice(i))?.[0];
    if (word === "true" || word === "false" || word === "null") {
      i += word.length;
      return;
    }
    if (word) throw new Stop(i, `${shown(word)} is not a JSON value: text needs double quotes, and the only words are true, false and null`);
    throw new Stop(i, `${shown(char)} cannot start a value`);
  };

  const object = (depth: number) => {
    i += 1;
    skipWhitespace();
    if (text[i] === "}") {
      i += 1;
      return;
    }
    let comma = -1;
    for (;;) {
      skipWhitespace();
      const char = text[i];
      if (char === undefined) throw new Stop(i, 'the text ends inside an object: a "}" is missing');
      if (char === "}" && comma >= 0) throw new Stop(comma, 'a comma before "}": JSON allows none after the last member');
      if (char === "'") throw new Stop(i, 'a key must be in double quotes ("key"), not single quotes');
      if (char !== '"') {
        throw new Stop(i, /[A-Za-z_$]/.test(char) ? 'a key must be in double quotes ("key")' : `${shown(char)} where a key in double quotes should be`);
      }
      string();
      skipWhitespace();
      if (text[i] !== ":") throw new Stop(i, `a ":" should follow the key, not ${shown(text[i])}`);
      i += 1;
      value(depth + 1);
      const next = afterEntry("}", "an object");
      if (next === null) return;
      comma = next;
    }
  };

  // After a member of an object or an item of a list: past a comma, the comma's place (another entry
  // follows); past the closing bracket, null.
  const afterEntry = (close: "}" | "]", inside: string): number | null => {
    skipWhitespace();
    const after = text[i];
    if (after === ",") {
      i += 1;
      return i - 1;
    }
    if (after === close) {
      i += 1;
      return null;
    }
    if (after === undefined) throw new Stop(i, `the text ends inside ${inside}: a "${close}" is missing`);
    throw new Stop(i, `a "," or "${close}" should come before ${shown(after)} (is a comma missing?)`);
  };

  const array = (depth: number) => {
    i += 1;
    skipWhitespace();
    if (text[i] === "]") {
      i += 1;
      return;
    }
    let comma = -1;
    for (;;) {
      skipWhitespace();
      if (text[i] === "]" && comma >= 0) throw new Stop(comma, 'a comma before "]": JSON allows none after the last item');
      value(depth + 1);
      const next = afterEntry("]", "a list");
      if (next === null) return;
      comma = next;
    }
  };

  try {
    skipWhitespace();
    if (i === text.length) return new Stop(i, "the text is empty");
    value(0);
    skipWhitespace();
    if (i < text.length) return new Stop(i, `more text after the end of the JSON value, from ${shown(text[i])}`);
    return null;
  } catch (stop) {
    if (stop instanceof Stop) return stop.index >= 0 ? stop : null;
    throw stop;
  }
}

/** Where and why `text` is not JSON; null when it is (or when only the browser's parser can tell). */
export function jsonProblem(text: string): JsonProblem | null {
  const stop = scan(text);
  if (stop === null) return null;
  const before = text.slice(0, stop.index);
  const line = before.split("\n").length;
  const column = stop.index - before.lastIndexOf("\n");
  return { line, column, reason: stop.reason };
}

/** "Not valid JSON at line 2, column 5: …" for a text JSON.parse refused with `error`. */
export function notValidJson(text: string, error: unknown): string {
  const problem = jsonProblem(text);
  if (problem) return `Not valid JSON at line ${problem.line}, column ${problem.column}: ${problem.reason}`;
  return `Not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
}
