// The connector's request settings as form values and back: pagination, key/value lists,
// incremental cursor, and the templates of common API styles.

import { isJsonObject } from "../api/exactJson";
import type { AuthType, ConnectorInput, JsonValue, PaginationType, RequestMethod } from "../api/types";
import { prettyJson } from "../format";
import { notValidJson } from "./jsonProblem";

export interface KeyValue {
  key: string;
  value: string;
}

export interface PaginationKeySpec {
  key: string;
  label: string;
  kind: "text" | "int" | "bool" | "choice";
  hint?: string;
  /** An "int" key's smallest value (and largest, when it has one), as the API checks it. */
  min?: number;
  max?: number;
  choices?: { value: string; label: string }[];
}

/** The API's largest page size or limit (MAX_PAGE_SIZE in demo_extension/services/pagination.py). */
export const MAX_PAGE_SIZE = 100_000;

const HAS_MORE = { key: "has_more_path", label: "More-pages flag field", kind: "text", hint: "e.g. has_more (default: has_more, more, …)" } as const;

/** Pagination keys per type, as `validate_pagination_config` (services/pagination.py) accepts them
 * (the API schema's `Pagination` oneOf; demo_extension/tests/test_ui_types_match_schema.py checks
 * the two agree), the integers' ranges as its `_checked_value` checks them. */
export const PAGINATION_KEYS: Record<PaginationType, PaginationKeySpec[]> = {
  auto: [
    { key: "page_size", label: "Page size", kind: "int", min: 1, max: MAX_PAGE_SIZE },
    { key: "size_param", label: "Page size parameter", kind: "text", hint: "e.g. per_page (needs a page size)" },
  ],
  none: [],
  page: [
    { key: "page_param", label: "Page parameter", kind: "text", hint: "default: page" },
    { key: "start_page", label: "First page", kind: "int", hint: "default: 1", min: 0 },
    { key: "page_size", label: "Page size", kind: "int", min: 1, max: MAX_PAGE_SIZE },
    { key: "size_param", label: "Page size parameter", kind: "text", hint: "e.g. per_page" },
    { key: "total_pages_path", label: "Total pages field", kind: "text", hint: "e.g. meta.total_pages" },
    { key: "total_path", label: "Total records field", kind: "text", hint: "e.g. meta.total" },
    HAS_MORE,
    { key: "stop_on_short_page", label: "Stop on a short page", kind: "bool" },
  ],
  offset: [
    { key: "offset_param", label: "Offset parameter", kind: "text", hint: "default: offset" },
    { key: "limit_param", label: "Limit parameter", kind: "text", hint: "default: limit" },
    { key: "limit", label: "Limit (page size)", kind: "int", min: 1, max: MAX_PAGE_SIZE },
    { key: "start_offset", label: "First offset", kind: "int", hint: "default: 0", min: 0 },
    { key: "total_path", label: "Total records field", kind: "text", hint: "e.g. total" },
    HAS_MORE,
    { key: "stop_on_short_page", label: "Stop on a short page", kind: "bool" },
  ],
  cursor: [
    { key: "cursor_param", label: "Cursor parameter", kind: "text", hint: "e.g. cursor" },
    {
      key: "cursor_from",
      label: "Cursor comes from",
      kind: "choice",
      choices: [
        { value: "", label: "Default (the body)" },
        { value: "body", label: "A token in the body" },
        { value: "last_record", label: "The last record's field (Stripe-style)" },
        { value: "search_after", label: "The hits' sort values (Elasticsearch / OpenSearch search_after)" },
      ],
    },
    { key: "cursor_path", label: "Next cursor field", kind: "text", hint: "e.g. meta.next_cursor (detected when empty)" },
    { key: "cursor_field", label: "Last record's cursor field", kind: "text", hint: "with “the last record”: default id; with search_after: default sort" },
    { key: "cursor_url", label: "Continue at", kind: "text", hint: "e.g. /2/files/list_folder/continue (the cursor alone goes there; empty: the endpoint)" },
    { key: "cursor_header", label: "Cursor response header", kind: "text", hint: "e.g. x-ms-continuationtoken (the cursor is read there, not in the body)" },
    { key: "cursor_request_header", label: "Send the cursor as request header", kind: "text", hint: "e.g. Range (Heroku: Next-Range goes back as Range; instead of a parameter)" },
    HAS_MORE,
    { key: "page_size", label: "Page size", kind: "int", min: 1, max: MAX_PAGE_SIZE },
    { key: "size_param", label: "Page size parameter", kind: "text" },
  ],
  next_url: [
    { key: "next_url_path", label: "Next URL field", kind: "text", hint: "e.g. links.next or @odata\\.nextLink (detected when empty)" },
    HAS_MORE,
    { key: "page_size", label: "Page size", kind: "int", min: 1, max: MAX_PAGE_SIZE },
    { key: "size_param", label: "Page size parameter", kind: "text" },
  ],
  link_header: [
    { key: "page_size", label: "Page size", kind: "int", min: 1, max: MAX_PAGE_SIZE },
    { key: "size_param", label: "Page size parameter", kind: "text" },
  ],
};

export type PaginationValues = Record<string, string | boolean>;

export function paginationValuesOf(pagination: JsonValue | undefined): { type: PaginationType; values: PaginationValues } {
  const values: PaginationValues = {};
  let type: PaginationType = "auto";
  if (isJsonObject(pagination)) {
    if (typeof pagination.type === "string" && pagination.type in PAGINATION_KEYS) type = pagination.type as PaginationType;
    for (const [key, value] of Object.entries(pagination)) {
      if (key === "type") continue;
      values[key] = typeof value === "boolean" ? value : String(value);
    }
  }
  return { type, values };
}

/** The form's error key of a pagination key's field ("pagination.page_size"). */
export function paginationFieldErrorKey(key: string): string {
  return `pagination.${key}`;
}

/** Why an "int" key's typed value cannot be sent, or null when it can (empty included). */
function integerProblem(spec: PaginationKeySpec, text: string): string | null {
  const value = text.trim();
  const min = spec.min ?? 0;
  const range = spec.max !== undefined ? `from ${min} to ${spec.max.toLocaleString("en-US")}` : `of ${min} or more`;
  if (!value) return null;
  if (!/^-?\d+$/.test(value)) return `Enter a whole number ${range}.`;
  const number = Number(value);
  if (number < min || (spec.max !== undefined && number > spec.max)) return `Enter a whole number ${range}.`;
  return null;
}

/**
 * The pagination fields' problems before anything is sent, keyed by each field's error key
 * (paginationFieldErrorKey), checked as `validate_pagination_config` checks them: whole numbers
 * in the API's range, and a page size parameter only with a page size to ask for.
 */
export function paginationValueErrors(type: PaginationType, values: PaginationValues): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const spec of PAGINATION_KEYS[type]) {
    const value = values[spec.key];
    if (spec.kind !== "int" || typeof value !== "string") continue;
    const problem = integerProblem(spec, value);
    if (problem) found[paginationFieldErrorKey(spec.key)] = [problem];
  }
  const specs = PAGINATION_KEYS[type].map((spec) => spec.key);
  const filled = (key: string) => typeof values[key] === "string" && (values[key] as string).trim() !== "";
  if (specs.includes("size_param") && filled("size_param") && !filled("page_size") && !found[paginationFieldErrorKey("page_size")]) {
    found[paginationFieldErrorKey("page_size")] = ["Give the page size to ask for with the page size parameter, or empty the parameter."];
  }
  return found;
}

/**
 * The API's messages about `pagination` split by the key they are about: "pagination.page_size
 * must be …" goes to that key's field when the type shows it (`byKey`), the rest (an unknown type
 * or key) stays under the pagination select (`general`). The API joins a config's problems into
 * one message, one sentence each.
 */
export function routePaginationErrors(messages: readonly string[] | undefined, type: PaginationType): { general: string[]; byKey: Record<string, string[]> } {
  const keys = new Set(PAGINATION_KEYS[type].map((spec) => spec.key));
  const general: string[] = [];
  const byKey: Record<string, string[]> = {};
  for (const message of messages ?? []) {
    for (const sentence of message.split(/(?<=\.)\s+(?=pagination\.)/)) {
      const key = /^pagination\.([a-z_]+)\b/.exec(sentence)?.[1];
      if (key && keys.has(key)) (byKey[key] ??= []).push(sentence);
      else general.push(sentence);
    }
  }
  return { general, byKey };
}

/**
 * Pagination typed as JSON (the form's "advanced" box), checked as the API checks it
 * (`validate_pagination_config`): a known type, and only keys that type uses, so a typo is named
 * instead of silently dropped. `detected_because`, which detection writes, is accepted and dropped.
 */
export function paginationOfJson(text: string): { type: PaginationType; values: PaginationValues } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { error: notValidJson(text, error).replace(/^Not/, "not") }; // after "Not applied: "
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return { error: "the pagination must be a JSON object" };
  const { detected_because: _detectedBecause, ...config } = parsed as { [key: string]: JsonValue };
  const type = config.type ?? "auto";
  if (typeof type !== "string" || !Object.hasOwn(PAGINATION_KEYS, type)) {
    return { error: `unknown type ${JSON.stringify(type)} (known: ${Object.keys(PAGINATION_KEYS).join(", ")})` };
  }
  const known = PAGINATION_KEYS[type as PaginationType].map((spec) => spec.key);
  const unknown = Object.keys(config).filter((key) => key !== "type" && !known.includes(key));
  if (unknown.length > 0) {
    const names = unknown.map((key) => `'${key}'`).join(", ");
    return { error: `unknown key${unknown.length > 1 ? "s" : ""} ${names} for type '${type}' (known: ${known.join(", ") || "no other keys"})` };
  }
  for (const spec of PAGINATION_KEYS[type as PaginationType]) {
    const value = config[spec.key];
    if (value === undefined) continue;
    if (spec.kind === "int" && (typeof value !== "number" || integerProblem(spec, String(value)))) {
      const max = spec.max !== undefined ? ` to ${spec.max}` : " or more";
      return { error: `'${spec.key}' must be a whole number (not in quotes) from ${spec.min ?? 0}${max}` };
    }
    if (spec.kind === "bool" && typeof value !== "boolean") return { error: `'${spec.key}' must be true or false` };
  }
  return paginationValuesOf(config);
}

/** The pagination to save: the JSON typed under "advanced" when there is one (checked as Apply
 * checks it), else the fields. */
export function paginationToSave(
  type: PaginationType,
  values: PaginationValues,
  json: string | null,
): { type: PaginationType; values: PaginationValues } | { error: string } {
  if (json === null) return { type, values };
  const result = paginationOfJson(json);
  return "error" in result ? { error: `Not applied: ${result.error}` } : result;
}

/** The pagination object to send: only the keys of `type` that have a value; whole numbers as
 * numbers, negative ones too (anything else is sent as typed, so the API names the field; the
 * forms check the fields first: paginationValueErrors). */
export function buildPagination(type: PaginationType, values: PaginationValues): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = { type };
  for (const spec of PAGINATION_KEYS[type]) {
    const value = values[spec.key];
    if (spec.kind === "bool") {
      // stop_on_short_page defaults to true on the server: send it either way once the user set it.
      if (typeof value === "boolean") out[spec.key] = value;
      continue;
    }
    if (typeof value !== "string" || value.trim() === "") continue;
    out[spec.key] = spec.kind === "int" && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value.trim();
  }
  return out;
}

/**
 * A connector's pagination in words, for its page: "Detected automatically", "Page numbers (page,
 * per_page, 100 a page)", "Cursor (cursor, from meta.next_cursor)". The parameters are the ones the
 * requests carry (the defaults when none is set); the exact JSON is shown beside it.
 */
export function paginationSummary(pagination: JsonValue | undefined): string {
  const { type, values } = paginationValuesOf(pagination);
  const text = (key: string) => (typeof values[key] === "string" && (values[key] as string).trim() ? (values[key] as string).trim() : "");
  const size = (key = "page_size") => (text(key) ? `${text(key)} a page` : "");
  const parts = (...items: string[]) => items.filter(Boolean).join(", ");
  const described = (label: string, details: string) => (details ? `${label} (${details})` : label);
  switch (type) {
    case "auto":
      return described("Detected automatically", parts(text("size_param"), size()));
    case "none":
      return "None: one request, one page";
    case "page":
      return described("Page numbers", parts(text("page_param") || "page", text("size_param"), size(), text("start_page") ? `from page ${text("start_page")}` : ""));
    case "offset":
      return described("Offset / limit", parts(text("offset_param") || "offset", text("limit_param") || "limit", size("limit")));
    case "cursor": {
      if (values.cursor_from === "search_after") {
        return described("search_after", parts(`the hits' ${text("cursor_field") || "sort"}`, size()));
      }
      const from = values.cursor_from === "last_record" ? `from the last record's ${text("cursor_field") || "id"}` : text("cursor_path") ? `from ${text("cursor_path")}` : "";
      return described("Cursor", parts(text("cursor_param"), from, text("size_param"), size()));
    }
    case "next_url":
      return described("Next URL in the body", parts(text("next_url_path") ? `at ${text("next_url_path")}` : "", text("size_param"), size()));
    case "link_header":
      return described("Link header", parts(text("size_param"), size()));
  }
}

export function rowsOf(value: JsonValue | undefined): KeyValue[] {
  if (isJsonObject(value)) {
    return Object.entries(value).map(([key, item]) => ({ key, value: item === null ? "" : String(item) }));
  }
  return [];
}

export function objectOf(rows: KeyValue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of rows) if (row.key.trim()) out[row.key.trim()] = row.value;
  return out;
}

export interface ConnectorTemplate {
  id: string;
  label: string;
  description: string;
  auth_type: AuthType;
  auth_header_name?: string;
  auth_param_name?: string;
  pagination_type: PaginationType;
  pagination: PaginationValues;
  records_path_mode: "detect" | "root" | "path";
  records_path?: string;
}

export const TEMPLATES: ConnectorTemplate[] = [
  {
    id: "page",
    label: "Page numbers",
    description: "?page=2&per_page=100, a bearer token, records under data",
    auth_type: "bearer",
    pagination_type: "page",
    pagination: { page_param: "page", page_size: "100", size_param: "per_page" },
    records_path_mode: "detect",
  },
  {
    id: "offset",
    label: "Offset / limit",
    description: "?offset=200&limit=100, a key in an X-API-Key header",
    auth_type: "header",
    auth_header_name: "X-API-Key",
    pagination_type: "offset",
    pagination: { offset_param: "offset", limit_param: "limit", limit: "100" },
    records_path_mode: "detect",
  },
  {
    id: "cursor",
    label: "Cursor",
    description: "the next cursor in the body (meta.next_cursor), sent back as ?cursor=",
    auth_type: "bearer",
    pagination_type: "cursor",
    pagination: { cursor_param: "cursor", cursor_path: "meta.next_cursor" },
    records_path_mode: "detect",
  },
  {
    id: "link",
    label: "Link header (GitHub style)",
    description: 'a Link: <…>; rel="next" header, the response is the list',
    auth_type: "bearer",
    pagination_type: "link_header",
    pagination: { page_size: "100", size_param: "per_page" },
    records_path_mode: "root",
  },
  {
    id: "single",
    label: "One list, no pages",
    description: "a public endpoint answering one JSON list",
    auth_type: "none",
    pagination_type: "none",
    pagination: {},
    records_path_mode: "root",
  },
];

/**
 * Why the typed max pages cannot be sent, or null when it can (empty included). The largest value is
 * the server's MIGRATEIQ_SYNC_MAX_PAGES, which the app does not know: a larger one is the API's 400,
 * shown under the field, which names that limit.
 */
export function maxPagesError(text: string): string | null {
  const value = text.trim();
  if (!value) return null;
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number.isSafeInteger(Number(value))) return null;
  return "Enter a whole number of pages, 1 or more, or leave it empty for the server's limit.";
}

/** The API's limit on `request_body` (MAX_REQUEST_BODY_BYTES in demo_extension/serializers.py). */
export const REQUEST_BODY_LIMIT = 16 * 1024;

/** A stored request body as the form's text: empty for none ({}), else indented JSON. */
export function requestBodyTextOf(body: JsonValue | undefined): string {
  if (isJsonObject(body) && Object.keys(body).length > 0) return prettyJson(body);
  return "";
}

/** The length of `value` as the API measures it, `len(json.dumps(value))`: Python's separators
 * (", " and ": ") and every non-ASCII character as a \uXXXX escape. Measured the way
 * JSON.stringify writes it, a body just under the limit here could still be refused there. */
export function apiJsonLength(value: JsonValue): number {
  if (Array.isArray(value)) return 2 + value.reduce<number>((sum, item, index) => sum + apiJsonLength(item) + (index ? 2 : 0), 0);
  if (value !== null && typeof value === "object") {
    return 2 + Object.entries(value).reduce((sum, [key, item], index) => sum + apiJsonLength(key) + 2 + apiJsonLength(item) + (index ? 2 : 0), 0);
  }
  // JSON.stringify already escapes the control characters; the rest of what is not printable ASCII is 6 characters each.
  const text = JSON.stringify(value) ?? "null";
  return typeof value === "string" ? text.length + 5 * (text.match(/[^\x20-\x7e]/g)?.length ?? 0) : text.length;
}

/** `text` read as JSON, or why it is not JSON (where, and what, in words). */
function parsedJson(text: string): { value: JsonValue } | { error: string } {
  try {
    return { value: JSON.parse(text) as JsonValue };
  } catch (error) {
    return { error: notValidJson(text, error) };
  }
}

/** The `request_body` to send with `method`: {} with GET (a body typed before switching back to
 * GET is not sent), else the typed JSON object ({} when empty), checked as the API checks it. */
export function requestBodyToSend(method: RequestMethod, text: string): { body: { [key: string]: JsonValue } } | { error: string } {
  if (method !== "POST" || !text.trim()) return { body: {} };
  const read = parsedJson(text);
  if ("error" in read) return read;
  const parsed = read.value;
  if (!isJsonObject(parsed)) {
    const kind = Array.isArray(parsed) ? "a list" : parsed === null ? "null" : typeof parsed === "string" ? "a string" : typeof parsed === "number" ? "a number" : "true or false";
    return { error: `The request body must be a JSON object ({…}), not ${kind}.` };
  }
  const size = apiJsonLength(parsed);
  if (size > REQUEST_BODY_LIMIT) {
    return { error: `At most ${REQUEST_BODY_LIMIT / 1024} KiB of JSON: this body is ${(Math.ceil(size / 102.4) / 10).toFixed(1)} KiB.` };
  }
  return { body: parsed };
}

/** The API endpoint field's hint, the same in the wizard and the edit form: an example, said as one. */
export const ENDPOINT_HINT = "e.g. https://api.example.com/v1/customers";

/** The checks on a connector's name and endpoint made before anything is sent (wizard and edit form alike). */
export function nameAndEndpointErrors(name: string, endpoint: string): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  if (!name.trim()) found.name = ["Give the connector a name."];
  if (!endpoint.trim()) found.api_endpoint = ["The API endpoint is required."];
  else if (!/^https?:\/\/\S+$/i.test(endpoint.trim())) found.api_endpoint = ["Enter a full http:// or https:// address."];
  return found;
}

export function recordsPathOf(mode: "detect" | "root" | "path", path: string): ConnectorInput["records_path"] {
  return mode === "detect" ? null : mode === "root" ? "" : path;
}

/** `error_detection` as form values: paths, the success value, and the built-in rules on / off. */
export interface ErrorDetectionValues {
  error_path: string;
  success_path: string;
  success_value: string;
  auto: boolean;
}

export function errorDetectionValuesOf(value: JsonValue | undefined): ErrorDetectionValues {
  const out: ErrorDetectionValues = { error_path: "", success_path: "", success_value: "", auto: true };
  if (isJsonObject(value)) {
    if (typeof value.error_path === "string") out.error_path = value.error_path;
    if (typeof value.success_path === "string") out.success_path = value.success_path;
    if (value.success_value !== undefined && value.success_value !== null) {
      out.success_value = typeof value.success_value === "string" ? value.success_value : JSON.stringify(value.success_value);
    }
    if (value.auto === false) out.auto = false;
  }
  return out;
}

/** The `error_detection` object to send ({} = the built-in rules). The success value is sent as
 * typed, except `true` / `false` and numbers, which are JSON (an API answering {"ok": true}). */
export function buildErrorDetection(values: ErrorDetectionValues): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  if (values.error_path.trim()) out.error_path = values.error_path.trim();
  if (values.success_path.trim()) out.success_path = values.success_path.trim();
  const raw = values.success_value.trim();
  if (raw) out.success_value = raw === "true" ? true : raw === "false" ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  if (!values.auto) out.auto = false;
  return out;
}

/** The incremental setting as the wizard and the edit form show it. */
export interface IncrementalValues {
  cursor_field: string;
  /** The query parameter that gets the start (GET, or POST with a parameter in the query string). */
  param: string;
  /** A POST connector's body filter as typed: JSON text holding "{since}"; empty for none. */
  body_filter: string;
  /** How far back of the stored cursor a sync starts (seconds, or units of a numeric cursor), as typed; empty or absent for none. */
  lookback?: string;
}

/** A stored incremental setting as form values. */
export function incrementalValuesOf(stored: JsonValue | undefined): IncrementalValues {
  const out: IncrementalValues = { cursor_field: "", param: "", body_filter: "" };
  if (isJsonObject(stored)) {
    if (typeof stored.cursor_field === "string") out.cursor_field = stored.cursor_field;
    if (typeof stored.param === "string") out.param = stored.param;
    const filter = stored.body_filter;
    if (isJsonObject(filter)) out.body_filter = prettyJson(filter);
    if (typeof stored.lookback === "number") out.lookback = String(stored.lookback);
  }
  return out;
}

/** Where an incremental connector's runs start, in words: the cursor field and where its value goes. */
export function incrementalSummary(incremental: JsonValue | undefined): string {
  const values = incrementalValuesOf(incremental);
  if (!values.cursor_field) return "Off: every sync fetches everything";
  const where = values.body_filter ? "merged into the POST body (body filter)" : `sent as ?${values.param}=`;
  const initial = isJsonObject(incremental) ? incremental.initial_value : undefined;
  const first = initial !== undefined && initial !== null ? `; the first sync starts at ${String(initial)}` : "";
  return `By ${values.cursor_field}: the highest value seen is ${where}${first}`;
}

/** Form error keys of the incremental fields (the API answers every incremental error under `incremental`). */
export const INCREMENTAL_ERROR_KEYS = {
  cursor_field: "incremental",
  param: "incremental_param",
  body_filter: "incremental_body_filter",
  lookback: "incremental_lookback",
} as const;

/** The largest lookback the API takes (incremental.MAX_LOOKBACK). */
export const MAX_LOOKBACK = 1_000_000_000;

/** Where the start of an incremental run goes, for the API's "{since}" placeholder. */
export const SINCE = "{since}";

/**
 * The incremental setting to send, checked as the API checks it: the form's cursor field with its
 * query parameter or (POST only) its body filter, over the keys of the stored setting that the
 * form does not show (`initial_value`, set through the API), so that saving the form keeps them,
 * and the lookback (a number; sent only when above 0);
 * `{}` when every field is empty. A body filter typed before switching to GET is not sent.
 * Errors are keyed by the form's error key of the field they belong to (INCREMENTAL_ERROR_KEYS).
 */
export function incrementalInput(
  stored: JsonValue | undefined,
  values: IncrementalValues,
  method: RequestMethod,
): { input: { [key: string]: JsonValue } } | { errors: Record<string, string[]> } {
  const field = values.cursor_field.trim();
  const name = values.param.trim();
  const text = method === "POST" ? values.body_filter.trim() : "";
  const lookbackText = (values.lookback ?? "").trim();
  if (!field && !name && !text && !lookbackText) return { input: {} };
  const errors: Partial<Record<keyof IncrementalValues, string>> = {};
  let filter: { [key: string]: JsonValue } | null = null;
  if (text) {
    const read = parsedJson(text);
    const parsed = "value" in read ? read.value : null;
    if ("error" in read) {
      errors.body_filter = read.error;
    } else if (!isJsonObject(parsed) || Object.keys(parsed).length === 0) {
      errors.body_filter = "The body filter must be a JSON object ({…}) with at least one key.";
    } else if (!JSON.stringify(parsed).includes(SINCE)) {
      errors.body_filter = `Put "${SINCE}" where the value to start from goes, e.g. {"after": "${SINCE}"}.`;
    } else {
      filter = parsed;
    }
  }
  const lookback = lookbackText === "" ? 0 : Number(lookbackText);
  if (!/^\d+(\.\d+)?$/.test(lookbackText || "0") || !(lookback <= MAX_LOOKBACK)) {
    errors.lookback = `A number of seconds (or units of a numeric cursor) from 0 to ${MAX_LOOKBACK.toLocaleString("en")}, or empty for none.`;
  }
  if (name && text) errors.param = "The start goes into the query parameter or the body filter, not both: empty one of them.";
  if (!field) errors.cursor_field = "Name the record field that grows (e.g. updated_at), or empty the incremental fields.";
  else if (!name && !text) errors.param = method === "POST" ? "Name the query parameter, or write a body filter below." : "Name the query parameter that gets the start, e.g. updated_since.";
  if (Object.keys(errors).length > 0) {
    const keyed: Record<string, string[]> = {};
    for (const [key, message] of Object.entries(errors)) keyed[INCREMENTAL_ERROR_KEYS[key as keyof IncrementalValues]] = [message];
    return { errors: keyed };
  }
  const kept: { [key: string]: JsonValue } =
    isJsonObject(stored) ? { ...stored } : {};
  delete kept.param;
  delete kept.body_filter;
  delete kept.lookback;
  return {
    input: { ...kept, cursor_field: field, ...(filter ? { body_filter: filter } : { param: name }), ...(lookback ? { lookback } : {}) },
  };
}
