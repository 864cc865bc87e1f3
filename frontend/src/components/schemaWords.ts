// The inferred schema in a reader's words. The API lists, for a string field, every format all its
// values parsed as (a date is also a timestamp, digits are also a decimal): shown as such, a zip
// code read "integer, decimal" beside the type "string", as if it were stored as a number. The UI
// names the most specific one, once, as a kind of string: "string (digits)".

/** The kinds of string a field's values can all be, most specific first, with what each means. */
export const STRING_KINDS = [
  {
    format: "date",
    label: "date",
    meaning: "every value is a date as text (2026-12-07); a destination gives a field that is only ever such a string a date column.",
  },
  {
    format: "timestamp",
    label: "date-time",
    meaning: "every value is an ISO 8601 date and time as text (2026-12-07T10:30:00Z); a destination gives a field that is only ever such a string a timestamptz column.",
  },
  {
    format: "integer",
    label: "digits",
    meaning: "every value is text made of digits (a leading minus allowed), such as a zip code or an id: it stays text everywhere, so leading zeros are kept.",
  },
  {
    format: "decimal",
    label: "decimal",
    meaning: "every value is a decimal number as text (40.7128): it stays text everywhere.",
  },
] as const;

export type StringKind = (typeof STRING_KINDS)[number];

/** The most specific kind of string every value of a field is, from the API's formats; null for none. */
export function stringKind(formats: readonly string[]): StringKind | null {
  return STRING_KINDS.find((kind) => formats.includes(kind.format)) ?? null;
}

/** A field's JSON types, its strings named by their kind: "string (digits), null". */
export function typesText(types: readonly string[], formats: readonly string[]): string {
  const kind = stringKind(formats);
  return types.map((type) => (type === "string" && kind ? `string (${kind.label})` : type)).join(", ");
}

/** What a field that lost a format no longer is, and what its strings are now. */
export function lostFormatText(before: readonly string[], after: readonly string[]): string {
  const was = stringKind(before);
  const now = stringKind(after);
  const wasText = was ? `string (${was.label})` : before.join(", ");
  return `no longer always ${wasText}: now ${now ? `string (${now.label})` : "any string"}`;
}
