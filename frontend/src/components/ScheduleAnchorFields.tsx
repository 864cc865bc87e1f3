import { useState } from "react";

import type { Connector, ConnectorInput, SyncFrequency } from "../api/types";
import { Field } from "./fields";

/** The schedule's anchor as the form holds it: "HH:MM" ("" for none) and the weekday ("" or "0".."6"). */
export interface AnchorValues {
  sync_time: string;
  sync_weekday: string;
}

export const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export const ANCHOR_FIELDS = ["sync_time", "sync_weekday"] as const;

export function anchorValuesOf(connector?: Pick<Connector, "sync_time" | "sync_weekday">): AnchorValues {
  return {
    sync_time: connector?.sync_time?.slice(0, 5) ?? "",
    sync_weekday: connector?.sync_weekday == null ? "" : String(connector.sync_weekday),
  };
}

/**
 * A typed time as the API's 24-hour "HH:MM" ("6:30" and "0630" read as "06:30"; ":15", as the
 * Hourly hint writes its minutes, as "00:15"), "" when empty,
 * null when it is not a time of day. The field is text, not a browser time picker: a picker shows
 * "06:30 AM" in a 12-hour locale although the label and the API say HH:MM.
 */
export function normalizedTime(typed: string): string | null {
  const text = typed.trim();
  if (!text) return "";
  const match = /^(?:(\d{1,2}):?|:)(\d{2})$/.exec(text);
  if (!match) return null;
  const hours = Number(match[1] ?? 0);
  const minutes = Number(match[2]);
  if (hours > 23 || minutes > 59) return null;
  return `${String(hours).padStart(2, "0")}:${match[2]}`;
}

/**
 * What the API would refuse in the anchor, by field, in the form's words (empty: nothing). The
 * server's rules (demo_extension/services/schedule.py): a time of day from 00:00 to 23:59, and a
 * Weekly schedule has both a time and a day or neither. Fields the frequency does not use are
 * never sent (`anchorInput`), so they cannot be wrong.
 */
export function anchorErrors(frequency: SyncFrequency, values: AnchorValues): Record<string, string[]> {
  if (frequency === "MANUAL") return {};
  const time = normalizedTime(values.sync_time);
  if (time === null) {
    return { sync_time: ["Enter a 24-hour time from 00:00 to 23:59, e.g. 02:00 or 18:30."] };
  }
  if (frequency !== "WEEKLY") return {};
  if (time && values.sync_weekday === "") return { sync_weekday: ["Choose a day for a weekly schedule at a set time, or clear the time."] };
  if (!time && values.sync_weekday !== "") return { sync_time: ["Enter a time for a weekly schedule on a set day, or set the day back to —."] };
  return {};
}

/** What a save sends: only what the frequency uses (the API refuses the rest), null for none. */
export function anchorInput(frequency: SyncFrequency, values: AnchorValues): Pick<ConnectorInput, "sync_time" | "sync_weekday"> {
  const time = frequency !== "MANUAL" ? normalizedTime(values.sync_time) || null : null;
  const weekday = frequency === "WEEKLY" && values.sync_weekday !== "" ? Number(values.sync_weekday) : null;
  return { sync_time: time, sync_weekday: weekday };
}

/** "at 02:00 UTC", "at :15 past every hour (UTC)", "on Monday at 06:30 UTC"; "" without an anchor. */
export function anchorLabel(frequency: SyncFrequency, time: string | null, weekday: number | null): string {
  if (frequency === "MANUAL" || !time) return "";
  if (frequency === "HOURLY") return `at :${time.slice(3, 5)} past every hour (UTC)`;
  if (frequency === "WEEKLY" && weekday != null) return `on ${WEEKDAYS[weekday]} at ${time.slice(0, 5)} UTC`;
  return `at ${time.slice(0, 5)} UTC`;
}

/**
 * "At HH:MM UTC" for Hourly (its minutes), Daily and Weekly schedules, and the day of Weekly ones.
 * Empty: the schedule counts one interval from the save or the last run. `errors` are the form's
 * (from its last submit): once the user edits either field they are re-checked here as the values
 * change (they go once valid), and leaving the time field checks it (an invalid time is said then).
 */
export function ScheduleAnchorFields({
  idPrefix,
  frequency,
  values,
  onChange,
  errors,
}: {
  idPrefix: string;
  frequency: SyncFrequency;
  values: AnchorValues;
  onChange: (values: AnchorValues) => void;
  errors: Record<string, string[] | undefined>;
}) {
  // The form's errors stand until the user edits the anchor after they came; a new set starts over.
  const errorsKey = JSON.stringify([errors.sync_time ?? null, errors.sync_weekday ?? null]);
  const [check, setCheck] = useState({ errorsKey, edited: false, left: false });
  if (check.errorsKey !== errorsKey) setCheck({ errorsKey, edited: false, left: false });
  if (frequency === "MANUAL") return null;
  const own = anchorErrors(frequency, values);
  const submitted = Boolean(errors.sync_time?.length || errors.sync_weekday?.length);
  // Re-checked as it changes once the form said something about the anchor, or (the time) once
  // the user left it: not while a first value is typed, nor the day before the user got to it.
  const live = (name: "sync_time" | "sync_weekday") => submitted || (name === "sync_time" && check.left);
  const shown = (name: "sync_time" | "sync_weekday") =>
    check.edited && live(name) ? own[name] : (errors[name] ?? (check.left && name === "sync_time" ? own.sync_time : undefined));
  const change = (next: AnchorValues) => {
    setCheck((current) => ({ ...current, edited: true }));
    onChange(next);
  };
  const id = (name: string) => `${idPrefix}-${name}`;
  // No placeholder: a grey "02:00" in the box read as a time that is set. An empty box says in
  // words, first, that no time is set and when the schedule runs without one.
  const unset = values.sync_time.trim() === "";
  const whenUnset =
    frequency === "HOURLY" ? "an hour after the save or the last run" : frequency === "WEEKLY" ? "a week after the save or the last run" : "a day after the save or the last run";
  const format =
    frequency === "HOURLY"
      ? "Only the minutes count: e.g. 00:15 syncs at :15 past every hour."
      : frequency === "WEEKLY"
        ? "24-hour, e.g. 18:30, with a day below."
        : "24-hour, e.g. 18:30.";
  const hint = unset ? (
    <>
      <strong data-testid="sync-time-unset">No time set: any time</strong>, {whenUnset}. {format}
    </>
  ) : (
    `${format} Empty${frequency === "WEEKLY" ? " (both)" : ""}: ${whenUnset}.`
  );
  return (
    <>
      <Field label="At (HH:MM UTC)" htmlFor={id("sync_time")} errors={shown("sync_time")} hint={hint}>
        <input
          id={id("sync_time")}
          type="text"
          inputMode="numeric"
          pattern="[0-9]{1,2}:?[0-9]{2}"
          maxLength={5}
          size={6}
          autoComplete="off"
          value={values.sync_time}
          onChange={(ev) => change({ ...values, sync_time: ev.target.value })}
          onBlur={() => {
            setCheck((current) => ({ ...current, left: true }));
            const time = normalizedTime(values.sync_time);
            if (time !== null && time !== values.sync_time) onChange({ ...values, sync_time: time });
          }}
        />
      </Field>
      {frequency === "WEEKLY" ? (
        <Field label="On" htmlFor={id("sync_weekday")} errors={shown("sync_weekday")}>
          <select id={id("sync_weekday")} value={values.sync_weekday} onChange={(ev) => change({ ...values, sync_weekday: ev.target.value })}>
            <option value="">—</option>
            {WEEKDAYS.map((day, index) => (
              <option key={day} value={String(index)}>
                {day}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
    </>
  );
}
