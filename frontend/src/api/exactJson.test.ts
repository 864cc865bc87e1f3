import { describe, expect, it } from "vitest";

import { previewConnector } from "./api";
import { parseJsonExact, plainJson, stringifyJson } from "./exactJson";
import { fakeFetch } from "../test/helpers";

describe("JSON with exact integers", () => {
  it("keeps an integer beyond the safe range as its exact digits", () => {
    const value = parseJsonExact('{"a": 9007199254740993, "b": [-12345678901234567890123], "c": 9007199254740991, "d": 1.5e300}') as Record<string, unknown>;
    expect(value.a).toBe(9007199254740993n);
    expect(value.b).toEqual([-12345678901234567890123n]);
    expect(value.c).toBe(9007199254740991); // safe: a number as JSON.parse gives it
    expect(value.d).toBe(1.5e300);
    expect(stringifyJson(value)).toBe('{"a":9007199254740993,"b":[-12345678901234567890123],"c":9007199254740991,"d":1.5e+300}');
    expect(stringifyJson(value, 2)).toContain('"a": 9007199254740993,');
  });

  it("leaves digits in strings and escaped quotes alone", () => {
    const text = '{"s": "12345678901234567890 \\" 99999999999999999999", "n": 99999999999999999999}';
    expect(parseJsonExact(text)).toEqual({ s: '12345678901234567890 " 99999999999999999999', n: 99999999999999999999n });
    expect(stringifyJson({ s: "9007199254740993" })).toBe('{"s":"9007199254740993"}');
  });

  it("is JSON.parse for everything else, errors included", () => {
    const text = '{"x": [1, 2.25, true, null, "é"], "y": {"z": -0}}';
    expect(parseJsonExact(text)).toEqual(JSON.parse(text));
    expect(() => parseJsonExact("{1234567890123456789")).toThrow(SyntaxError);
  });

  it("makes big integers plain numbers again for a value the app sends back", () => {
    expect(plainJson({ a: [9007199254740993n], b: "x" })).toEqual({ a: [9007199254740992], b: "x" });
  });

  it("reads a preview's records exactly, its pagination (which can be pinned) as plain JSON", async () => {
    fakeFetch(() => ({
      text: '{"ok": true, "pagination": {"type": "offset", "config": {"limit": 9007199254740993}}, "records": [{"raw": {"id": 9007199254740993}, "transformed": {"id": 12345678901234567890123}, "error": null}]}',
    }));
    const preview = await previewConnector({});
    expect(preview.records[0]!.raw).toEqual({ id: 9007199254740993n });
    expect(stringifyJson(preview.records[0]!.transformed)).toBe('{"id":12345678901234567890123}');
    expect(preview.pagination!.config.limit).toBe(9007199254740992);
    expect(JSON.stringify(preview.pagination)).toBeTruthy(); // no BigInt left to refuse
  });
});
