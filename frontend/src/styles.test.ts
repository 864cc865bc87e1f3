import { beforeAll, describe, expect, it } from "vitest";

// Vitest hands CSS imports over empty, so the sheet is read from disk (through a module name in a
// variable: the type check knows the browser, not Node).
let css = "";
beforeAll(async () => {
  const fs = "node:fs";
  const { readFileSync } = (await import(/* @vite-ignore */ fs)) as { readFileSync: (path: string, encoding: "utf8") => string };
  css = readFileSync(decodeURIComponent(import.meta.url.replace(/^file:\/\//, "").replace(/[^/]+$/, "styles.css")), "utf8");
});

/** The declarations of the first rule whose selector list is exactly `selector`. */
function declarations(selector: string): string {
  const escaped = selector.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return css.match(new RegExp(`(?:^|\\n)${escaped}\\s*\\{([^}]*)\\}`))?.[1] ?? "";
}

describe("the style sheet", () => {
  it("keeps the visually hidden text of a sideways-scrolling table inside it, so a phone does not scroll the whole page", () => {
    expect(declarations(".visually-hidden")).toMatch(/position:\s*absolute/);
    expect(declarations(".table-wrap")).toMatch(/overflow-x:\s*auto/);
    expect(declarations(".table-wrap")).toMatch(/position:\s*relative/);
  });

  it("gives a further credential's select only the room it needs, its name and value the rest", () => {
    expect(declarations(".kv-row.secret-param-row")).toMatch(/grid-template-columns:\s*auto 1fr 1fr auto/);
  });
});
