// Client-side downloads (no server round trip): JSON and CSV files built in the browser.

import { stringifyJson } from "../api/exactJson";

// A leading tab or CR, or =, +, -, @ (or their full-width forms) as the first character after any
// leading whitespace (which some importers trim); a plain number is not a formula.
const CONTROL_START = /^[\t\r]/;
const FORMULA_AFTER_BLANKS = /^[\s\u001c-\u001f\u0085\u200b\u200c\u200d\u2060\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]/;
const PLAIN_NUMBER = /^[\s\u001c-\u001f\u0085\u200b\u200c\u200d\u2060\ufeff]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

export function isFormula(text: string): boolean {
  return CONTROL_START.test(text) || (FORMULA_AFTER_BLANKS.test(text) && !PLAIN_NUMBER.test(text));
}

export function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  const escape = (value: unknown): string => {
    const text = value === null || value === undefined ? "" : typeof value === "object" ? (stringifyJson(value) ?? "") : String(value);
    // Quote every cell that needs it; a cell a spreadsheet would run as a formula is prefixed so
    // it shows the upstream's text instead (the export's rule, sync_engine/export.py).
    const safe = isFormula(text) ? `'${text}` : text;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [columns.join(","), ...rows.map((row) => columns.map((column) => escape(row[column])).join(","))].join("\r\n") + "\r\n";
}

export function downloadFile(name: string, content: string, type: string): void {
  saveBlob(name, new Blob([content], { type }));
}

/** Save a file fetched from the API (an object URL, revoked once the browser took it). */
export function saveBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
