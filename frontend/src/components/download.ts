// Client-side downloads (no server round trip): JSON and CSV files built in the browser.

export function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  const escape = (value: unknown): string => {
    const text = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
    // Quote every cell that needs it; a leading =, +, - or @ is prefixed so a spreadsheet shows
    // the upstream's text instead of running it as a formula.
    const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
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
