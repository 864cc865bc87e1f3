import { describe, expect, it } from "vitest";

import { lostFormatText, stringKind, typesText } from "./schemaWords";

describe("a schema field in words", () => {
  it("names a field of digit strings (a zip code) once, as a string of digits, not as integer and decimal", () => {
    expect(typesText(["string"], ["integer", "decimal"])).toBe("string (digits)");
    expect(typesText(["string", "null"], ["integer", "decimal"])).toBe("string (digits), null");
  });

  it("names the most specific kind of string: a date before a date-time, digits before a decimal", () => {
    expect(typesText(["string"], ["timestamp", "date"])).toBe("string (date)");
    expect(typesText(["string"], ["timestamp"])).toBe("string (date-time)");
    expect(typesText(["string"], ["decimal"])).toBe("string (decimal)");
    expect(stringKind([])).toBeNull();
  });

  it("leaves a string without a format, and every other type, as the API names it", () => {
    expect(typesText(["string", "null"], [])).toBe("string, null");
    expect(typesText(["integer"], [])).toBe("integer");
    expect(typesText(["integer", "string"], ["integer", "decimal"])).toBe("integer, string (digits)");
  });

  it("says what a field that lost a format was and what it is now", () => {
    expect(lostFormatText(["integer", "decimal"], ["decimal"])).toBe("no longer always string (digits): now string (decimal)");
    expect(lostFormatText(["timestamp"], [])).toBe("no longer always string (date-time): now any string");
  });
});
