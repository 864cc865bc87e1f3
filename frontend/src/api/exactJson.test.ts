import { describe, expect, it } from "vitest";

import { previewConnector } from "./api";
import { ExactNumber, isJsonObject, parseJsonExact, plainJson, stringifyJson } from "./exactJson";
import { fakeFetch } from "../test/helpers";

describe("JSON with exact numbers", () => {
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

  it("keeps a decimal a double cannot hold as the API wrote it, and normal decimals as numbers", () => {
    const text =
      '{"p": 0.1000000000000000055511151231257827, "h": 12345678901234567.5, "big": 1e400, "tiny": -1E-400, "long": 1234567.8901234567891, ' +
      '"many": 12345678901234567890e0, "plain": [0.1, 3.14, 1.50, 1.5e300, -0.0, 1e20, 5e-324, 0.30000000000000004]}';
    const value = parseJsonExact(text) as Record<string, unknown>;
    for (const key of ["p", "h", "big", "tiny", "long", "many"]) expect(value[key]).toBeInstanceOf(ExactNumber);
    expect(String(value.p)).toBe("0.1000000000000000055511151231257827");
    expect(String(value.big)).toBe("1e400");
    expect(value.plain).toEqual([0.1, 3.14, 1.5, 1.5e300, -0, 1e20, 5e-324, 0.30000000000000004]);
    expect(stringifyJson(value)).toBe(
      '{"p":0.1000000000000000055511151231257827,"h":12345678901234567.5,"big":1e400,"tiny":-1E-400,"long":1234567.8901234567891,' +
        '"many":12345678901234567890e0,"plain":[0.1,3.14,1.5,1.5e+300,0,100000000000000000000,5e-324,0.30000000000000004]}',
    );
    expect(stringifyJson(value.h)).toBe("12345678901234567.5");
    expect(stringifyJson({ s: "0.1000000000000000055511151231257827" })).toBe('{"s":"0.1000000000000000055511151231257827"}');
  });

  it("does not take an exact number for an object of the data", () => {
    const value = parseJsonExact('{"a": {"x": 1}, "b": 1e400, "c": [1], "d": null}') as Record<string, unknown>;
    expect([value.a, value.b, value.c, value.d].map(isJsonObject)).toEqual([true, false, false, false]);
  });

  it("makes big integers plain numbers again for a value the app sends back", () => {
    expect(plainJson({ a: [9007199254740993n], b: "x" })).toEqual({ a: [9007199254740992], b: "x" });
    expect(plainJson(parseJsonExact('{"a": [12345678901234567.5, 1e400]}'))).toEqual({ a: [12345678901234568, Infinity] });
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
