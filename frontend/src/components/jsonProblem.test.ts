import { describe, expect, it } from "vitest";

import { paginationOfJson } from "./connectorConfig";
import { jsonProblem, notValidJson } from "./jsonProblem";

function refusal(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return notValidJson(text, error);
  }
  throw new Error(`${text} is JSON`);
}

describe("why a text is not JSON", () => {
  it.each([
    ['{"type": "page",}', 1, 16, 'a comma before "}"'],
    ["[1, 2,]", 1, 6, 'a comma before "]"'],
    ["{'type': 'page'}", 1, 2, "double quotes"],
    ['{type: "page"}', 1, 2, 'a key must be in double quotes ("key")'],
    ['{"type": \'page\'}', 1, 10, "not single quotes"],
    ['{"type": "page"\n "page_param": "p"}', 2, 2, `a "," or "}" should come before '"' (is a comma missing?)`],
    ['{"type": "page"', 1, 16, 'a "}" is missing'],
    ['{"type": "page', 1, 10, "closing double quote"],
    ['{"stop": True}', 1, 10, "'True' is not a JSON value"],
    ['{"size": 07}', 1, 10, "cannot start with 0"],
    ['{"a": 1} x', 1, 10, "more text after the end"],
    ['{"a" 1}', 1, 6, 'a ":" should follow the key'],
    ['{"a": "x\\q"}', 1, 9, "not an escape"],
  ])("%s: line %i, column %i, %s", (text, line, column, words) => {
    expect(() => JSON.parse(text)).toThrow();
    const problem = jsonProblem(text);
    expect(problem).toMatchObject({ line, column });
    expect(problem!.reason).toContain(words);
  });

  it("finds nothing wrong with JSON", () => {
    for (const text of ['{"a": [1, -2.5e3, true, null, "x\\u00e9\\n"]}', " [] ", '"text"', "0"]) expect(jsonProblem(text)).toBeNull();
  });

  it("says where and what instead of the browser's character position", () => {
    const message = refusal('{"type": "page",\n}');
    expect(message).toBe('Not valid JSON at line 1, column 16: a comma before "}": JSON allows none after the last member');
    expect(message).not.toMatch(/position|Unexpected token/);
  });

  it("leaves nesting too deep to scan to the browser's words", () => {
    const deep = "[".repeat(300);
    expect(jsonProblem(deep)).toBeNull();
    expect(refusal(deep)).toMatch(/^Not valid JSON: /);
  });

  it("is what the pagination box says after Not applied", () => {
    expect(paginationOfJson('{"type": "page", }')).toEqual({ error: 'not valid JSON at line 1, column 16: a comma before "}": JSON allows none after the last member' });
  });
});
