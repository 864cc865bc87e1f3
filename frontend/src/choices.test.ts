import { beforeAll, describe, expect, it } from "vitest";

import { didYouMean, KNOWN_ALIASES, meantChoice } from "./choices";
import { RULE_TYPES } from "./components/rules";

// core/choices.py, read from disk (through a module name in a variable: the type check knows the
// browser, not Node), so the UI's other names of the rules' types stay the API's.
let python = "";
beforeAll(async () => {
  const fs = "node:fs";
  const { readFileSync } = (await import(/* @vite-ignore */ fs)) as { readFileSync: (path: string, encoding: "utf8") => string };
  python = readFileSync(decodeURIComponent(import.meta.url.replace(/^file:\/\//, "").replace(/frontend\/src\/[^/]+$/, "core/choices.py")), "utf8");
});

describe("the choice meant", () => {
  it("is the one the API names for the rules' types (what core.choices.meant_choice answers)", () => {
    // each pair as the API's meant_choice(value, SUPPORTED_TYPES) answers it
    const answers: [string, string | null][] = [
      ["integer", "int"],
      ["timestamp", "datetime"],
      ["String", "str"],
      [" Boolean ", "bool"],
      ["double", "float"],
      ["INT", "int"],
      ["datetim", "datetime"],
      ["flaot", "float"],
      ["dat", "date"],
      ["bigint", "int"],
      ["Decimal", "decimal"],
      ["time", "datetime"],
      ["dates", "date"],
      ["town", null],
      ["number", null],
      ["text", null],
      ["xyz", null],
      ["", null],
    ];
    expect(answers.map(([value]) => [value, meantChoice(value, RULE_TYPES)])).toEqual(answers);
  });

  it("says it after a message, or nothing when none is close or the value is no text", () => {
    expect(didYouMean("integer", RULE_TYPES)).toBe(" Did you mean 'int'?");
    expect(didYouMean("town", RULE_TYPES)).toBe("");
    expect(didYouMean(5, RULE_TYPES)).toBe("");
  });

  it("knows the other names of the rules' types the API knows, and only those", () => {
    const block = python.slice(python.indexOf("KNOWN_ALIASES = {"), python.indexOf("}", python.indexOf("KNOWN_ALIASES = {")));
    const apiAliases = Object.fromEntries(
      Array.from(block.matchAll(/"([^"]+)": "([^"]+)"/g), (match) => [match[1]!, match[2]!]).filter(([, choice]) => (RULE_TYPES as readonly string[]).includes(choice!)),
    );
    expect(Object.keys(apiAliases).length).toBeGreaterThan(0);
    expect(KNOWN_ALIASES).toEqual(apiAliases);
  });
});
