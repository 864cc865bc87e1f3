import { describe, expect, it } from "vitest";

import type { ConnectorSchema } from "../api/types";
import { fieldMappingsOf, unmatchedMappings } from "./UnmatchedMappings";

const field = (path: string, parts = [path]) => ({ path, parts, types: ["string"], formats: [], column: true, position: 1 });
const schema = (overrides: Partial<ConnectorSchema> = {}): ConnectorSchema => ({
  connector: 7,
  fields: [field("full_name"), field("address.city", ["address", "city"])],
  truncated: false,
  updated_at: "2026-11-27T10:00:00Z",
  ...overrides,
});

describe("field mappings that matched nothing", () => {
  const mappings = fieldMappingsOf({ field_mappings: { name: "full_name", "address.town": "town" } });

  it("reads the mappings of the rules, and none of rules without them", () => {
    expect(mappings).toEqual([
      ["name", "full_name"],
      ["address.town", "town"],
    ]);
    expect(fieldMappingsOf({})).toEqual([]);
    expect(fieldMappingsOf(null)).toEqual([]);
  });

  it("names the mappings whose target field no stored record has", () => {
    expect(unmatchedMappings(mappings, schema())).toEqual([["address.town", "town"]]);
  });

  it("names none before the schema is inferred, or when it is truncated (a missing field proves nothing then)", () => {
    expect(unmatchedMappings(mappings, schema({ updated_at: null, fields: [] }))).toEqual([]);
    expect(unmatchedMappings(mappings, schema({ truncated: true }))).toEqual([]);
    expect(unmatchedMappings(mappings, null)).toEqual([]);
  });
});
