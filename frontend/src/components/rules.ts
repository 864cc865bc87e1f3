// A connector's transformation rules as rows of a form, and back. The grammar is the server's
// (demo_extension/services/transform.py):
//
//   field_mappings    source path -> target field      (a row with both)
//   type_conversions  target field -> type             (a row's "convert to")
//   defaults          target field -> any JSON value   (a row's "default")
//   required          [target field, ...]              (a row's "required")
//   include_unmapped  true | false                     (one checkbox for the whole set)
//
// One row per target field: a row without a source names a field the record already has (or that
// only a default fills) and carries its options. Rows keep their order, which is the order of the
// rules' keys.

import { isJsonObject } from "../api/exactJson";
import type { JsonValue } from "../api/types";
import { didYouMean } from "../choices";
import { notValidJson } from "./jsonProblem";

export const RULE_TYPES = ["int", "float", "str", "bool", "decimal", "date", "datetime"] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export const RULE_TYPE_LABELS: Record<RuleType, string> = {
  int: "whole number (int)",
  float: "number (float)",
  str: "text (str)",
  bool: "true / false (bool)",
  decimal: "exact decimal (decimal)",
  date: "date (date)",
  datetime: "date and time, UTC (datetime)",
};

const RULE_KEYS = ["field_mappings", "type_conversions", "defaults", "required", "include_unmapped"];
const MAX_FIELD_LENGTH = 255;
const MAX_RULE_ENTRIES = 500;

export interface RuleRow {
  /** A stable id for the row (React key, element ids), not sent. */
  id: string;
  source: string;
  target: string;
  type: RuleType | "";
  /** The default as typed: JSON when it reads as JSON (0, true, null, [..], {..}, "0"), else text. */
  default: string;
  required: boolean;
}

export interface RulesDraft {
  mode: "fields" | "json";
  rows: RuleRow[];
  includeUnmapped: boolean;
  /** The JSON text, while `mode` is "json". */
  json: string;
  /** The next row id's number. */
  nextId: number;
}

export type RuleRowField = "source" | "target" | "type" | "default";

export interface RuleProblems {
  /** Per row id, per input: the message shown under it. */
  rows: Record<string, Partial<Record<RuleRowField, string>>>;
  /** A problem of the JSON text (JSON mode). */
  json?: string;
  /** A problem of the whole set. */
  group?: string;
}

export type RulesObject = { [key: string]: JsonValue };

export function emptyRow(id: number): RuleRow {
  return { id: `r${id}`, source: "", target: "", type: "", default: "", required: false };
}

/** The text a default value is shown as: text as itself unless it would read back as something else. */
export function defaultText(value: JsonValue): string {
  if (typeof value === "string") {
    try {
      JSON.parse(value);
    } catch {
      return value; // "NL" reads back as the text NL
    }
    return JSON.stringify(value); // "0", "true", "" stay text: shown quoted
  }
  return JSON.stringify(value);
}

/** The value a default's text stands for (see defaultText). */
export function defaultValue(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return isJsonObject(value);
}

/** Rows for a rule set, or why it cannot be shown as rows (then it stays JSON). */
export function rowsOfRules(rules: JsonValue | undefined): { rows: RuleRow[]; includeUnmapped: boolean } | { error: string } {
  if (rules === undefined || rules === null) return { rows: [], includeUnmapped: true };
  if (!isObject(rules)) return { error: "The rules must be a JSON object." };
  const unknown = Object.keys(rules).filter((key) => !RULE_KEYS.includes(key));
  if (unknown.length) return { error: `Unknown rule ${unknown.map((key) => `"${key}"`).join(", ")}; allowed: ${RULE_KEYS.join(", ")}.` };
  const objectOrEmpty = (key: string): { [key: string]: JsonValue } | null => {
    const value = rules[key];
    if (value === undefined || value === null) return {};
    return isObject(value) ? value : null;
  };
  const mappings = objectOrEmpty("field_mappings");
  const conversions = objectOrEmpty("type_conversions");
  const defaults = objectOrEmpty("defaults");
  if (!mappings) return { error: "field_mappings must be an object: source path → target field." };
  if (!conversions) return { error: "type_conversions must be an object: target field → type." };
  if (!defaults) return { error: "defaults must be an object: target field → value." };
  const required = rules.required ?? [];
  if (!Array.isArray(required) || required.some((field) => typeof field !== "string")) return { error: "required must be a list of field names." };
  const includeUnmapped = rules.include_unmapped ?? true;
  if (typeof includeUnmapped !== "boolean") return { error: "include_unmapped must be true or false." };

  const rows: RuleRow[] = [];
  const byTarget = new Map<string, RuleRow>();
  const rowFor = (target: string): RuleRow => {
    let row = byTarget.get(target);
    if (!row) {
      row = { ...emptyRow(rows.length), target };
      rows.push(row);
      byTarget.set(target, row);
    }
    return row;
  };
  for (const [source, target] of Object.entries(mappings)) {
    if (typeof target !== "string") return { error: `field_mappings["${source}"] must be a field name.` };
    if (byTarget.has(target)) return { error: `Two sources map to "${target}".` };
    rowFor(target).source = source;
  }
  for (const [field, type] of Object.entries(conversions)) {
    if (typeof type !== "string" || !(RULE_TYPES as readonly string[]).includes(type)) {
      return { error: `type_conversions["${field}"]: unknown type ${JSON.stringify(type)}; supported: ${RULE_TYPES.join(", ")}.${didYouMean(type, RULE_TYPES)}` };
    }
    rowFor(field).type = type as RuleType;
  }
  for (const [field, value] of Object.entries(defaults)) rowFor(field).default = defaultText(value);
  for (const field of required as string[]) rowFor(field).required = true;
  return { rows, includeUnmapped };
}

/** A form's draft of `rules`: rows when they can show it, else the JSON text. */
export function draftOfRules(rules: JsonValue | undefined): RulesDraft {
  const result = rowsOfRules(rules);
  if ("error" in result) return { mode: "json", rows: [], includeUnmapped: true, json: JSON.stringify(rules, null, 2), nextId: 0 };
  return { mode: "fields", rows: result.rows, includeUnmapped: result.includeUnmapped, json: "", nextId: result.rows.length };
}

function emptySegment(path: string): boolean {
  if (path.startsWith("/")) return false; // a JSON Pointer: any key is allowed
  return path.replace(/\\\\/g, "").replace(/\\\./g, "").split(".").some((part) => part === "");
}

/** The rule set the rows stand for, or the problems that keep it from being sent. */
export function rulesOfRows(rows: RuleRow[], includeUnmapped: boolean): { rules: RulesObject } | { problems: RuleProblems } {
  const problems: RuleProblems = { rows: {} };
  const fail = (row: RuleRow, field: RuleRowField, message: string) => {
    const entry = (problems.rows[row.id] ??= {});
    entry[field] ??= message;
  };
  const field_mappings: RulesObject = {};
  const type_conversions: RulesObject = {};
  const defaults: RulesObject = {};
  const required: string[] = [];
  const targets = new Map<string, number>();
  const sources = new Map<string, number>();
  rows.forEach((row, index) => {
    const source = row.source;
    const target = row.target.trim();
    const hasOptions = row.type !== "" || row.default !== "" || row.required;
    if (!source.trim() && !target && !hasOptions) return; // a blank row: nothing to send
    if (!target) {
      fail(row, "target", source.trim() ? "Name the field the value is stored as." : "Name the field these options apply to.");
    } else if (target.length > MAX_FIELD_LENGTH) {
      fail(row, "target", `At most ${MAX_FIELD_LENGTH} characters.`);
    } else if (targets.has(target)) {
      fail(row, "target", `Rule ${targets.get(target)! + 1} already stores a field "${target}": put its options there.`);
    } else {
      targets.set(target, index);
    }
    if (source !== "" && !source.trim()) fail(row, "source", "A source path cannot be blank spaces.");
    else if (source.length > MAX_FIELD_LENGTH) fail(row, "source", `At most ${MAX_FIELD_LENGTH} characters.`);
    else if (source && emptySegment(source)) {
      fail(row, "source", 'This path has an empty segment: write "address.city", and a key with a dot as "a\\.b" or "/a.b".');
    } else if (source && sources.has(source)) {
      fail(row, "source", `Rule ${sources.get(source)! + 1} already reads "${source}": a source maps to one field.`);
    } else if (source) {
      sources.set(source, index);
    }
    if (!target) return;
    if (source) field_mappings[source] = target;
    if (row.type) type_conversions[target] = row.type;
    if (row.default !== "") defaults[target] = defaultValue(row.default);
    if (row.required) required.push(target);
  });
  if (targets.size > MAX_RULE_ENTRIES) problems.group = `At most ${MAX_RULE_ENTRIES} rules.`;
  if (Object.keys(problems.rows).length || problems.group) return { problems };
  const rules: RulesObject = {};
  if (Object.keys(field_mappings).length) rules.field_mappings = field_mappings;
  if (Object.keys(type_conversions).length) rules.type_conversions = type_conversions;
  if (Object.keys(defaults).length) rules.defaults = defaults;
  if (required.length) rules.required = required;
  if (!includeUnmapped) rules.include_unmapped = false;
  return { rules };
}

/** The rules a draft stands for (rows or JSON text), or its problems. Empty JSON text is {}. */
export function rulesOfDraft(draft: RulesDraft): { rules: RulesObject } | { problems: RuleProblems } {
  if (draft.mode === "fields") return rulesOfRows(draft.rows, draft.includeUnmapped);
  if (!draft.json.trim()) return { rules: {} };
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(draft.json) as JsonValue;
  } catch (error) {
    return { problems: { rows: {}, json: notValidJson(draft.json, error) } };
  }
  if (!isObject(parsed)) return { problems: { rows: {}, json: "The rules must be a JSON object." } };
  return { rules: parsed };
}

/** Switch a draft between rows and JSON. Returns the new draft, or the problem that keeps the
 * switch from happening (rows with errors; JSON that is invalid or not of the rules' grammar). */
export function toggleDraftMode(draft: RulesDraft): { draft: RulesDraft } | { problems: RuleProblems } {
  if (draft.mode === "fields") {
    const result = rulesOfRows(draft.rows, draft.includeUnmapped);
    if ("problems" in result) return result;
    return { draft: { ...draft, mode: "json", json: Object.keys(result.rules).length ? JSON.stringify(result.rules, null, 2) : "" } };
  }
  const parsed = rulesOfDraft(draft);
  if ("problems" in parsed) return parsed;
  const rows = rowsOfRules(parsed.rules);
  if ("error" in rows) return { problems: { rows: {}, json: `${rows.error} Fix it here, or keep the rules as JSON.` } };
  return { draft: { mode: "fields", rows: rows.rows, includeUnmapped: rows.includeUnmapped, json: "", nextId: rows.rows.length } };
}

/** The first row and input a server message about the rules names (`'email'`, `"email"`), so the
 * message can be shown on it; null when it names none. */
export function rowNamedIn(message: string, rows: RuleRow[]): { id: string; field: RuleRowField } | null {
  const names = Array.from(message.matchAll(/'([^']+)'|"([^"]+)"/g), (match) => match[1] ?? match[2] ?? "");
  for (const name of names) {
    const bySource = rows.find((row) => row.source && row.source === name);
    if (bySource && /^field_mappings/.test(message)) return { id: bySource.id, field: "source" };
    const byTarget = rows.find((row) => row.target.trim() === name);
    if (byTarget) {
      if (message.startsWith("type_conversions")) return { id: byTarget.id, field: "type" };
      if (message.startsWith("defaults")) return { id: byTarget.id, field: "default" };
      return { id: byTarget.id, field: "target" };
    }
    if (bySource) return { id: bySource.id, field: "source" };
  }
  return null;
}

/** The keys of a source path as the sync reads them (sync_engine/paths.py): a JSON Pointer when it
 * starts with "/" (~1 is "/", ~0 is "~"), else dotted, a backslash escaping the next character and
 * empty segments skipped. */
export function pathParts(path: string): string[] {
  if (!path) return [];
  if (path.startsWith("/")) return path.slice(1).split("/").map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < path.length; i++) {
    const char = path[i]!;
    if (char === "\\") current += path[++i] ?? "\\";
    else if (char === ".") {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  return parts.filter((part) => part !== "");
}

function valueAt(value: JsonValue | undefined, parts: string[]): JsonValue | undefined {
  for (const part of parts) {
    if (Array.isArray(value) && /^-?\d+$/.test(part)) {
      const index = Number(part);
      value = value[index < 0 ? value.length + index : index];
    } else if (isObject(value) && part in value) value = value[part];
    else return undefined;
  }
  return value;
}

/** A nested source's copy: what a mapping read by a path into an object, and where it put it. */
export interface NestedCopy {
  source: string;
  target: string;
  value: JsonValue;
}

/** The mappings of `raw` whose source is a path into a nested object that is still in `transformed`:
 * a top-level source is renamed (its key leaves the record), but a nested one is copied and the object
 * it was read from stays (sync_engine/transform.py). A key that literally holds the source text wins
 * over the path, as in the sync. */
export function nestedCopies(mappings: { [source: string]: string }, raw: JsonValue, transformed: JsonValue | undefined): NestedCopy[] {
  if (!isObject(raw) || !isObject(transformed)) return [];
  const copies: NestedCopy[] = [];
  for (const [source, target] of Object.entries(mappings)) {
    if (source in raw) continue;
    const parts = pathParts(source);
    if (parts.length < 2 || !(parts[0]! in transformed)) continue;
    const value = valueAt(raw, parts);
    if (value !== undefined) copies.push({ source, target, value });
  }
  return copies;
}

/** Edits from `a` to `b` (insert, delete, replace one character): how far a typo is from a path. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The rows whose source path no sample record has a value at (a typo such as `adress.city`, a path
 * of another API), by row id: the sentence to show under the source path, naming the sample's
 * closest field when one is a typo away. A sync would store those records without the target
 * field and end SUCCESS with a warning; this says it while the rule is typed. Paths are read as
 * the sync reads them (`pathParts`), so list indexes and JSON Pointers count; no sample, no finding.
 */
export function sourcesMissingFromSample(rows: RuleRow[], sample: { records: JsonValue[]; paths: string[] } | null): { [rowId: string]: string } {
  const missing: { [rowId: string]: string } = {};
  if (!sample || sample.records.length === 0) return missing;
  for (const row of rows) {
    const source = row.source.trim();
    if (!source) continue;
    const parts = pathParts(source);
    const values = sample.records.map((record) => valueAt(record, parts));
    if (parts.length === 0 || values.some((value) => value != null)) continue;
    if (values.some((value) => value === null)) {
      missing[row.id] = `Every sample record has null (or nothing) at ${source}.`;
      continue;
    }
    const closest = sample.paths
      .map((path) => ({ path, distance: editDistance(source, path) }))
      .filter(({ path, distance }) => distance > 0 && distance <= Math.max(1, Math.floor(path.length / 4)))
      .sort((a, b) => a.distance - b.distance)[0];
    missing[row.id] = `No sample record has ${source}${closest ? `: did you mean ${closest.path}?` : "."}`;
  }
  return missing;
}
