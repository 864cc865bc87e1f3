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
    sync_time: connector?.sync_time ?? "",
    sync_weekday: connector?.sync_weekday == null ? "" : String(connector.sync_weekday),
  };
}

/** What a save sends: only what the frequency uses (the API refuses the rest), null for none. */
export function anchorInput(frequency: SyncFrequency, values: AnchorValues): Pick<ConnectorInput, "sync_time" | "sync_weekday"> {
  const time = frequency !== "MANUAL" && values.sync_time ? values.sync_time.slice(0, 5) : null;
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
 * Empty: the schedule counts one interval from the save or the last run.
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
  if (frequency === "MANUAL") return null;
  const id = (name: string) => `${idPrefix}-${name}`;
  const hint =
    frequency === "HOURLY"
      ? "Only the minutes count: e.g. 00:15 syncs at :15 past every hour. Empty: an hour after the save or the last run."
      : frequency === "WEEKLY"
        ? "With a day below. Empty (both): a week after the save or the last run."
        : "Empty: a day after the save or the last run.";
  return (
    <>
      <Field label="At (HH:MM UTC)" htmlFor={id("sync_time")} errors={errors.sync_time} hint={hint}>
        <input
          id={id("sync_time")}
          type="time"
          step={60}
          value={values.sync_time}
          onChange={(ev) => onChange({ ...values, sync_time: ev.target.value })}
        />
      </Field>
      {frequency === "WEEKLY" ? (
        <Field label="On" htmlFor={id("sync_weekday")} errors={errors.sync_weekday}>
          <select id={id("sync_weekday")} value={values.sync_weekday} onChange={(ev) => onChange({ ...values, sync_weekday: ev.target.value })}>
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
