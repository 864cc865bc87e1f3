import { ApiError, errorMessage } from "../api/client";

/** The banner's sentence for a failed save and the messages of fields the form does not show.
 * When the API named fields, the banner counts them (each message is shown next to its field,
 * never repeated here with the raw field key); otherwise it is the API's own sentence. */
export function saveErrorSummary(error: unknown, shownFields: ReadonlySet<string>): { summary: string; other: string[] } {
  if (error instanceof ApiError && Object.keys(error.fieldErrors).length > 0) {
    const fields = Object.keys(error.fieldErrors);
    const shown = fields.filter((field) => shownFields.has(field));
    const other = fields.filter((field) => !shownFields.has(field)).flatMap((field) => error.fieldErrors[field] ?? []);
    const summary =
      shown.length > 0
        ? `Not saved: ${shown.length === 1 ? "one field needs" : `${shown.length} fields need`} attention.`
        : "Not saved: see the messages below.";
    return { summary, other };
  }
  return { summary: errorMessage(error), other: [] };
}

/** Messages as one text, each a sentence: a period is added after one that ends without
 * punctuation (a JSON parser's "… (line 1 column 41)"), so two never run together. */
export function joinMessages(messages: readonly (string | null | undefined | false)[]): string {
  return messages
    .filter((message): message is string => Boolean(message && message.trim()))
    .map((message, index, all) => {
      const text = message.trim();
      return index < all.length - 1 && !/[.!?:;…]$/.test(text) ? `${text}.` : text;
    })
    .join(" ");
}
