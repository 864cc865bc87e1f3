import { fireEvent, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { ApiError } from "../api/client";
import type { ConnectorInput } from "../api/types";
import { connector, renderInRouter } from "../test/helpers";
import { ConnectorForm } from "./ConnectorForm";
import { anchorErrors, anchorInput, anchorLabel, normalizedTime } from "./ScheduleAnchorFields";

function submit() {
  fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
}

describe("the schedule's anchor in the connector form", () => {
  it("offers a UTC time for Daily, and sends it with no weekday", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    const time = screen.getByLabelText("At (HH:MM UTC)") as HTMLInputElement;
    // Text, not a browser time picker: a picker shows "02:00 AM" in a 12-hour locale.
    expect(time.type).toBe("text");
    // No grey "02:00" that reads as a set time: an empty box says in words that no time is set.
    expect(time.getAttribute("placeholder")).toBeNull();
    expect(document.getElementById(time.getAttribute("aria-describedby")!)?.textContent).toBe(
      "No time set: any time, a day after the save or the last run. 24-hour, e.g. 18:30.",
    );
    expect(time.getAttribute("inputmode")).toBe("numeric");
    expect(screen.queryByLabelText("On")).toBeNull();
    fireEvent.change(time, { target: { value: "02:00" } });
    expect(screen.queryByTestId("sync-time-unset")).toBeNull();
    expect(screen.getByText("24-hour, e.g. 18:30. Empty: a day after the save or the last run.")).toBeTruthy();
    submit();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ sync_frequency: "DAILY", sync_time: "02:00", sync_weekday: null });
  });

  it("offers a weekday for Weekly and sends both, Monday as 0", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("Sync frequency"), { target: { value: "WEEKLY" } });
    fireEvent.change(screen.getByLabelText("At (HH:MM UTC)"), { target: { value: "06:30" } });
    fireEvent.change(screen.getByLabelText("On"), { target: { value: "0" } });
    submit();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ sync_frequency: "WEEKLY", sync_time: "06:30", sync_weekday: 0 });
  });

  it("shows a stored anchor, and sends nulls when the frequency no longer uses it", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(
      <ConnectorForm connector={connector({ sync_frequency: "WEEKLY", sync_time: "06:30", sync_weekday: 4 })} onSubmit={onSubmit} />,
    );
    expect((screen.getByLabelText("At (HH:MM UTC)") as HTMLInputElement).value).toBe("06:30");
    expect((screen.getByLabelText("On") as HTMLSelectElement).value).toBe("4");
    fireEvent.change(screen.getByLabelText("Sync frequency"), { target: { value: "HOURLY" } });
    expect(screen.queryByLabelText("On")).toBeNull();
    expect(screen.getByText(/Only the minutes count/)).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Sync frequency"), { target: { value: "MANUAL" } });
    expect(screen.queryByLabelText("At (HH:MM UTC)")).toBeNull();
    submit();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ sync_frequency: "MANUAL", sync_time: null, sync_weekday: null });
  });

  it("refuses a weekly time without a day before saving, in the form's words, next to the day", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector({ sync_frequency: "WEEKLY" })} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("At (HH:MM UTC)"), { target: { value: "06:30" } });
    submit();
    const day = screen.getByLabelText("On");
    await vi.waitFor(() => expect(day.getAttribute("aria-invalid")).toBe("true"));
    const error = document.getElementById("edit-7-sync_weekday-error");
    expect(error?.textContent).toBe("Choose a day for a weekly schedule at a set time, or clear the time.");
    expect(day.getAttribute("aria-describedby")).toContain("edit-7-sync_weekday-error");
    expect(document.activeElement).toBe(day);
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("refuses a weekly day without a time before saving, next to the time", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector({ sync_frequency: "WEEKLY" })} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("On"), { target: { value: "2" } });
    submit();
    const time = screen.getByLabelText("At (HH:MM UTC)");
    await vi.waitFor(() => expect(time.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById("edit-7-sync_time-error")?.textContent).toBe(
      "Enter a time for a weekly schedule on a set day, or set the day back to —.",
    );
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it.each(["6:30 PM", "24:00", "12:60", "noon", "06:30:00"])("refuses the time %s before saving, describing it at the field", async (typed) => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    const time = screen.getByLabelText("At (HH:MM UTC)");
    fireEvent.change(time, { target: { value: typed } });
    submit();
    await vi.waitFor(() => expect(time.getAttribute("aria-invalid")).toBe("true"));
    expect(time.getAttribute("aria-describedby")).toBe("edit-7-sync_time-hint edit-7-sync_time-error");
    expect(document.getElementById("edit-7-sync_time-error")?.textContent).toBe("Enter a 24-hour time from 00:00 to 23:59, e.g. 02:00 or 18:30.");
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("reads 6:30 and 0630 as 06:30, shown so on leaving the field", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    const time = screen.getByLabelText("At (HH:MM UTC)") as HTMLInputElement;
    fireEvent.change(time, { target: { value: "0630" } });
    fireEvent.blur(time);
    expect(time.value).toBe("06:30");
    fireEvent.change(time, { target: { value: " 6:30" } });
    submit();
    await vi.waitFor(() => expect(onSubmit).toHaveBeenCalled());
    expect(onSubmit.mock.calls[0]?.[0]).toMatchObject({ sync_time: "06:30" });
  });

  it("takes the time's error away once the time is corrected, without another submit", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector({ sync_frequency: "WEEKLY" })} onSubmit={onSubmit} />);
    const time = screen.getByLabelText("At (HH:MM UTC)");
    fireEvent.change(time, { target: { value: "ab" } });
    submit();
    await vi.waitFor(() => expect(time.getAttribute("aria-invalid")).toBe("true"));
    fireEvent.change(time, { target: { value: "0630" } });
    fireEvent.change(screen.getByLabelText("On"), { target: { value: "0" } });
    expect(time.getAttribute("aria-invalid")).not.toBe("true");
    expect(document.getElementById("edit-7-sync_time-error")).toBeNull();
    expect(document.getElementById("edit-7-sync_weekday-error")).toBeNull();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it.each(["24:00", "ab:cd", "7", "12:5"])("says on leaving the field that %s is no time, and no more once it is one", (typed) => {
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={vi.fn(async () => {})} />);
    const time = screen.getByLabelText("At (HH:MM UTC)");
    fireEvent.change(time, { target: { value: typed } });
    expect(document.getElementById("edit-7-sync_time-error")).toBeNull(); // not while typing a first value
    fireEvent.blur(time);
    expect(time.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById("edit-7-sync_time-error")?.textContent).toBe("Enter a 24-hour time from 00:00 to 23:59, e.g. 02:00 or 18:30.");
    fireEvent.change(time, { target: { value: "23:00" } });
    expect(document.getElementById("edit-7-sync_time-error")).toBeNull();
  });

  it("still shows the API's refusal under the field when the server refuses the anchor", async () => {
    const message = "A WEEKLY schedule's anchor needs both sync_time and sync_weekday (Monday = 0): set sync_weekday too, or send both as null.";
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {
      throw new ApiError(400, `sync_weekday: ${message}`, { detail: `sync_weekday: ${message}`, errors: { sync_weekday: [message] } });
    });
    renderInRouter(<ConnectorForm connector={connector({ sync_frequency: "WEEKLY" })} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("At (HH:MM UTC)"), { target: { value: "06:30" } });
    fireEvent.change(screen.getByLabelText("On"), { target: { value: "3" } });
    submit();
    const day = screen.getByLabelText("On");
    await vi.waitFor(() => expect(day.getAttribute("aria-invalid")).toBe("true"));
    expect(onSubmit).toHaveBeenCalled();
    expect(document.getElementById("edit-7-sync_weekday-error")?.textContent).toBe(message);
  });
});

describe("the schedule's anchor checks", () => {
  it("refuse what the API refuses and nothing a frequency does not send", () => {
    expect(anchorErrors("WEEKLY", { sync_time: "06:30", sync_weekday: "" })).toHaveProperty("sync_weekday");
    expect(anchorErrors("WEEKLY", { sync_time: "", sync_weekday: "0" })).toHaveProperty("sync_time");
    expect(anchorErrors("WEEKLY", { sync_time: "06:30", sync_weekday: "0" })).toEqual({});
    expect(anchorErrors("WEEKLY", { sync_time: "", sync_weekday: "" })).toEqual({});
    expect(anchorErrors("DAILY", { sync_time: "23:59", sync_weekday: "4" })).toEqual({});
    expect(anchorErrors("HOURLY", { sync_time: "99:99", sync_weekday: "" })).toHaveProperty("sync_time");
    expect(anchorErrors("MANUAL", { sync_time: "99:99", sync_weekday: "4" })).toEqual({});
    expect(anchorInput("DAILY", { sync_time: "23:59", sync_weekday: "4" })).toEqual({ sync_time: "23:59", sync_weekday: null });
  });

  it("read a typed time as 24-hour HH:MM", () => {
    expect(normalizedTime("00:00")).toBe("00:00");
    expect(normalizedTime("7:05")).toBe("07:05");
    expect(normalizedTime("1830")).toBe("18:30");
    expect(normalizedTime(":15")).toBe("00:15"); // an Hourly schedule's minutes, as its hint writes them
    expect(normalizedTime("15")).toBeNull(); // not a time: no colon, no hours
    expect(normalizedTime("")).toBe("");
    expect(normalizedTime("6:30 AM")).toBeNull();
    expect(normalizedTime("23:60")).toBeNull();
  });
});

describe("the schedule's label", () => {
  it("says when an anchored schedule syncs, in UTC", () => {
    expect(anchorLabel("DAILY", "02:00", null)).toBe("at 02:00 UTC");
    expect(anchorLabel("HOURLY", "00:15", null)).toBe("at :15 past every hour (UTC)");
    expect(anchorLabel("WEEKLY", "06:30", 0)).toBe("on Monday at 06:30 UTC");
    expect(anchorLabel("DAILY", null, null)).toBe("");
    expect(anchorLabel("MANUAL", "02:00", null)).toBe("");
  });
});
