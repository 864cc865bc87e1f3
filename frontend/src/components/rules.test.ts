import { describe, expect, it } from "vitest";

import type { JsonValue } from "../api/types";
import { defaultText, defaultValue, draftOfRules, nestedCopies, pathParts, rowNamedIn, rowsOfRules, rulesOfDraft, rulesOfRows, sourcesMissingFromSample, toggleDraftMode, type RuleRow } from "./rules";

const SEED_LIKE = {
  field_mappings: { name: "full_name", "address.city": "city", created_at: "joined" },
  type_conversions: { id: "int", joined: "datetime" },
  defaults: { country: "NL", score: 0, code: "0", tags: [], meta: { a: 1 } },
  required: ["id", "full_name"],
  include_unmapped: false,
};

function row(patch: Partial<RuleRow>, id = "r0"): RuleRow {
  return { id, source: "", target: "", type: "", default: "", required: false, ...patch };
}

describe("transformation rules as rows", () => {
  it("show one row per target field, mappings first in their order, options merged into their row", () => {
    const result = rowsOfRules(SEED_LIKE);
    if ("error" in result) throw new Error(result.error);
    expect(result.includeUnmapped).toBe(false);
    expect(result.rows.map((r) => [r.source, r.target, r.type, r.default, r.required])).toEqual([
      ["name", "full_name", "", "", true],
      ["address.city", "city", "", "", false],
      ["created_at", "joined", "datetime", "", false],
      ["", "id", "int", "", true],
      ["", "country", "", "NL", false],
      ["", "score", "", "0", false],
      ["", "code", "", '"0"', false],
      ["", "tags", "", "[]", false],
      ["", "meta", "", '{"a":1}', false],
    ]);
  });

  it("round-trip: rules → rows → rules and rules → JSON → rows → rules give the same rules", () => {
    const result = rowsOfRules(SEED_LIKE);
    if ("error" in result) throw new Error(result.error);
    const back = rulesOfRows(result.rows, result.includeUnmapped);
    if (!("rules" in back)) throw new Error("refused");
    // `required` follows the rows' order (its order means nothing to the server); the rest is equal.
    expect(back.rules.required).toEqual(["full_name", "id"]);
    expect({ ...back.rules, required: SEED_LIKE.required }).toEqual(SEED_LIKE);
    const again = rowsOfRules(back.rules);
    if ("error" in again) throw new Error(again.error);
    expect(rulesOfRows(again.rows, false)).toEqual(back); // from then on, exact

    const draft = draftOfRules(SEED_LIKE);
    const asJson = toggleDraftMode(draft);
    if (!("draft" in asJson)) throw new Error("toggle refused");
    expect(asJson.draft.mode).toBe("json");
    expect(JSON.parse(asJson.draft.json)).toEqual(back.rules);
    const asRows = toggleDraftMode(asJson.draft);
    if (!("draft" in asRows)) throw new Error("toggle refused");
    expect(asRows.draft.rows).toEqual(draft.rows);
    expect(rulesOfDraft(asRows.draft)).toEqual(back);
  });

  it("read no rules as no rows and send {} for them", () => {
    for (const rules of [{}, null, undefined] as (JsonValue | undefined)[]) {
      const draft = draftOfRules(rules);
      expect(draft.mode).toBe("fields");
      expect(draft.rows).toEqual([]);
      expect(rulesOfDraft(draft)).toEqual({ rules: {} });
    }
  });

  it("keep a default's type: text as typed, JSON when it reads as JSON, quoted text stays text", () => {
    for (const value of ["NL", "0", "true", "", " 5", 0, 1.5, true, null, [1, "a"], { k: "v" }] as JsonValue[]) {
      expect(defaultValue(defaultText(value))).toEqual(value);
    }
    expect(defaultValue("NL")).toBe("NL");
    expect(defaultValue("42")).toBe(42);
    expect(defaultValue('"42"')).toBe("42");
  });

  it("name each row's problem on its input: no target, a target twice, a source twice, an empty path segment", () => {
    const result = rulesOfRows(
      [
        row({ source: "name" }, "a"),
        row({ source: "email", target: "contact" }, "b"),
        row({ source: "mail", target: "contact" }, "c"),
        row({ source: "email", target: "other" }, "d"),
        row({ source: "address..city", target: "city" }, "e"),
        row({ type: "int" }, "f"),
        row({}, "blank"),
      ],
      true,
    );
    if (!("problems" in result)) throw new Error("accepted");
    expect(result.problems.rows).toEqual({
      a: { target: "Name the field the value is stored as." },
      c: { target: 'Rule 2 already stores a field "contact": put its options there.' },
      d: { source: 'Rule 2 already reads "email": a source maps to one field.' },
      e: { source: expect.stringContaining("empty segment") },
      f: { target: "Name the field these options apply to." },
    });
  });

  it("accept escaped dots and JSON Pointers as source paths, and skip blank rows", () => {
    const result = rulesOfRows([row({ source: "@odata\\.etag", target: "etag" }, "a"), row({ source: "/links/self.href", target: "self" }, "b"), row({}, "c")], true);
    expect(result).toEqual({ rules: { field_mappings: { "@odata\\.etag": "etag", "/links/self.href": "self" } } });
  });

  it("stay JSON for what rows cannot show, and say why when asked to switch", () => {
    expect(draftOfRules({ field_mappings: [] }).mode).toBe("json");
    const draft = { ...draftOfRules({}), mode: "json" as const, json: '{"renames": {"a": "b"}}' };
    const toggled = toggleDraftMode(draft);
    expect("problems" in toggled && toggled.problems.json).toMatch(/^Unknown rule "renames"/);
    expect(rulesOfDraft(draft)).toEqual({ rules: { renames: { a: "b" } } }); // sent as is: the API names the problem
    expect(rulesOfDraft({ ...draft, json: "[1]" })).toEqual({ problems: { rows: {}, json: "The rules must be a JSON object." } });
  });

  it("name the type meant when the JSON's type_conversions holds another tool's name for one, as the API does", () => {
    const draft = (json: string) => ({ ...draftOfRules({}), mode: "json" as const, json });
    const problem = (json: string) => {
      const toggled = toggleDraftMode(draft(json));
      return "problems" in toggled ? toggled.problems.json : null;
    };
    expect(problem('{"type_conversions": {"id": "integer"}}')).toBe(
      'type_conversions["id"]: unknown type "integer"; supported: int, float, str, bool, decimal, date, datetime. Did you mean \'int\'? Fix it here, or keep the rules as JSON.',
    );
    expect(problem('{"type_conversions": {"joined": "timestamp"}}')).toContain("Did you mean 'datetime'?");
    expect(problem('{"type_conversions": {"joined": "town"}}')).not.toContain("Did you mean");
    expect(problem('{"type_conversions": {"joined": 5}}')).not.toContain("Did you mean");
  });

  it("find the row a server message names", () => {
    const rows = [row({ source: "name", target: "full_name" }, "a"), row({ target: "joined", type: "datetime" }, "b")];
    expect(rowNamedIn("type_conversions['joined']: unknown type 'datetim'", rows)).toEqual({ id: "b", field: "type" });
    expect(rowNamedIn("field_mappings: source path 'name' has an empty segment", rows)).toEqual({ id: "a", field: "source" });
    expect(rowNamedIn("Something else entirely.", rows)).toBeNull();
  });
});

describe("source paths and the nested sources a mapping copies", () => {
  it("reads a source path as the sync does: dotted with escapes, or a JSON Pointer", () => {
    expect(pathParts("address.city")).toEqual(["address", "city"]);
    expect(pathParts("tags.-1")).toEqual(["tags", "-1"]);
    expect(pathParts("@odata\\.etag")).toEqual(["@odata.etag"]);
    expect(pathParts("/@odata.etag")).toEqual(["@odata.etag"]);
    expect(pathParts("/a~1b/~0c")).toEqual(["a/b", "~c"]);
    expect(pathParts("a..b")).toEqual(["a", "b"]);
  });

  it("names a nested source whose object stays in the record, not a top-level, missing or dropped one", () => {
    const raw = { name: "Ada", "meta.id": 7, address: { city: "Lyon" }, tags: ["a", "b"], gone: { x: 1 } };
    const transformed = { address: { city: "Lyon" }, tags: ["a", "b"], "meta.id": 7, full_name: "Ada", city: "Lyon", last_tag: "b" };
    const mappings = {
      name: "full_name", // top-level: renamed, dropped
      "address.city": "city",
      "tags.-1": "last_tag",
      "address.zip": "zip", // missing: nothing copied
      "meta.id": "meta_id", // a key that literally holds the text wins: top-level
      "gone.x": "x", // its object is not in the transformed record
    };
    expect(nestedCopies(mappings, raw, transformed)).toEqual([
      { source: "address.city", target: "city", value: "Lyon" },
      { source: "tags.-1", target: "last_tag", value: "b" },
    ]);
    expect(nestedCopies(mappings, raw, undefined)).toEqual([]);
  });
});

describe("source paths against a preview's sample", () => {
  const sample = {
    records: [
      { id: 1, name: "Ada", address: { city: "Lyon", zipcode: "69001" }, tags: ["vip"], "@odata.etag": "W/1", note: null },
      { id: 2, name: "Bob", address: { city: "Oslo", zipcode: "0150" }, tags: [], note: null },
    ] as JsonValue[],
    paths: ["id", "name", "address", "address.city", "address.zipcode", "tags", "@odata.etag", "note"],
  };

  it("finds the paths of the sample as the sync reads them: nested, list indexes, JSON Pointers", () => {
    const rows = ["name", "address.zipcode", "tags.0", "tags.-1", "/@odata.etag", ""].map((source, i) => row({ source }, `r${i}`));
    expect(sourcesMissingFromSample(rows, sample)).toEqual({});
  });

  it("names each path no sample record has a value at, with the closest field when it is a typo away, and one that is always null", () => {
    const rows = [row({ source: "adress.zipcode" }, "typo"), row({ source: "customer.vat" }, "other"), row({ source: "note" }, "null"), row({ source: "tags.3" }, "index")];
    expect(sourcesMissingFromSample(rows, sample)).toEqual({
      typo: "No sample record has adress.zipcode: did you mean address.zipcode?",
      other: "No sample record has customer.vat.",
      null: "Every sample record has null (or nothing) at note.",
      index: "No sample record has tags.3.",
    });
  });

  it("finds nothing without a sample, or with one of no records", () => {
    const rows = [row({ source: "adress.zipcode" })];
    expect(sourcesMissingFromSample(rows, null)).toEqual({});
    expect(sourcesMissingFromSample(rows, { records: [], paths: [] })).toEqual({});
  });
});
