// How numbers, dates and JSON are shown.

export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return value.toLocaleString("en-US");
}

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return date.toLocaleString("en-GB", {
    year: "numeric",
    month: "short",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    timeZoneName: "short",
  });
}

/** A log line's time: hours to milliseconds, with the time zone (e.g. "14:03:07.125 UTC"). */
export function formatTimeMs(value: string | null | undefined): string {
  if (!value) return "—";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  const time = date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  const zone = date.toLocaleTimeString("en-GB", { timeZoneName: "short" }).split(" ").pop() ?? "";
  return `${time}.${String(date.getMilliseconds()).padStart(3, "0")} ${zone}`;
}

/** "in 37 min", "in 2 h 5 min", "3 min ago", "now": how far `value` is from `now`. */
export function formatRelative(value: string | null | undefined, now: number = Date.now()): string {
  if (!value) return "—";
  const at = new Date(value).getTime();
  if (Number.isNaN(at)) return value;
  const seconds = Math.round((at - now) / 1000);
  const abs = Math.abs(seconds);
  let text: string;
  if (abs < 45) return "now";
  if (abs < 3600) text = `${Math.round(abs / 60)} min`;
  else if (abs < 86400) {
    const hours = Math.floor(abs / 3600);
    const minutes = Math.round((abs % 3600) / 60);
    text = minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  } else text = `${Math.round(abs / 86400)} d`;
  return seconds > 0 ? `in ${text}` : `${text} ago`;
}

export function formatSeconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 120) return `${value.toFixed(1)} s`;
  return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return `${value.toFixed(1)} %`;
}

export function compactJson(value: unknown, max = 160): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? "";
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? "";
  } catch {
    return String(value);
  }
}

export function frequencyLabel(value: string): string {
  return value ? value.charAt(0) + value.slice(1).toLowerCase() : "—";
}
