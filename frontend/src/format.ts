// How numbers, dates and JSON are shown.

import { stringifyJson } from "./api/exactJson";

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
  if (abs < 45) return "now";
  // Rounded once, to whole minutes, then split: never "23 h 60 min" or "60 min".
  const totalMinutes = Math.round(abs / 60);
  let text: string;
  if (totalMinutes < 60) text = `${totalMinutes} min`;
  else if (totalMinutes < 24 * 60) {
    const hours = Math.floor(totalMinutes / 60);
    const minutes = totalMinutes % 60;
    text = minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  } else text = `${Math.round(abs / 86400)} d`;
  return seconds > 0 ? `in ${text}` : `${text} ago`;
}

/** A duration as a person says it: "46 ms", "1.2 s", "3 min 4 s", "1 h 2 min". */
export function formatSeconds(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  // Each unit decided after rounding: never "1000 ms", "60.0 s", "2 min 60 s" or "1 h 60 min".
  if (Math.round(value * 1000) < 1000) return `${Math.max(0, Math.round(value * 1000))} ms`;
  if (Math.round(value * 10) < 600) return `${value.toFixed(1)} s`;
  const total = Math.round(value);
  if (total < 3600) return `${Math.floor(total / 60)} min ${total % 60} s`;
  const minutes = Math.round(value / 60);
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

/** An estimate of the time left, rounded as an estimate should be: "about 8 s", "about 4 min",
 * "about 2 h 5 min"; "—" when there is none. */
export function formatTimeLeft(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 1) return "less than a second";
  if (seconds < 60) return `about ${Math.ceil(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A rate (records per second) at a precision that tells slow runs apart: "0.04", "0.4", "7.5",
 * "23", "1,234" (never "0" for a run that did store records). */
export function formatPerSecond(rate: number): string {
  if (!Number.isFinite(rate) || rate <= 0) return "0";
  if (rate < 0.1) return `${+rate.toPrecision(2)}`;
  if (rate < 10) return rate.toFixed(1);
  return formatNumber(Math.round(rate));
}

/** Records per second of a finished run ("1,234/s"); "—" while it runs, when it took no time, or
 * when it handled no record (a failed run's "0/s" reads as a measured speed). */
export function formatRate(records: number, seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || seconds <= 0 || records <= 0) return "—";
  return `${formatPerSecond(records / seconds)}/s`;
}

/** A count and its noun in the right number: "1 record", "0 records", "1,234 records". */
export function formatCount(count: number, singular: string, plural = `${singular}s`): string {
  return `${formatNumber(count)} ${count === 1 ? singular : plural}`;
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return `${value.toFixed(1)} %`;
}

export function compactJson(value: unknown, max = 160): string {
  let text: string;
  try {
    text = stringifyJson(value) ?? "";
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function prettyJson(value: unknown): string {
  try {
    return stringifyJson(value, 2) ?? "";
  } catch {
    return String(value);
  }
}

/** What started a sync or a load, in the API's own words for it (TriggeredBy, DestinationLoad.Trigger):
 * "Web UI" for `ui`, "API", "Schedule", "Command line" for `manual`, "After a sync" for a load's `sync`. */
const TRIGGER_LABELS: Readonly<Record<string, string>> = {
  ui: "Web UI",
  api: "API",
  schedule: "Schedule",
  manual: "Command line",
  sync: "After a sync",
};

export function triggerLabel(value: string): string {
  return TRIGGER_LABELS[value] ?? value;
}

export function frequencyLabel(value: string): string {
  return value ? value.charAt(0) + value.slice(1).toLowerCase() : "—";
}
