import { describe, expect, it } from "vitest";

import { joinMessages } from "./formErrors";

describe("joining field messages", () => {
  it("ends a message without punctuation with a period before the next one", () => {
    expect(joinMessages(["Not valid JSON: Expected ',' (line 1 column 41)", "Correct the highlighted rules."])).toBe(
      "Not valid JSON: Expected ',' (line 1 column 41). Correct the highlighted rules.",
    );
  });

  it("adds nothing after a message that already ends a sentence, and skips empty ones", () => {
    expect(joinMessages(["Too long.", "", undefined, false, "Required?", "Last"])).toBe("Too long. Required? Last");
  });
});
