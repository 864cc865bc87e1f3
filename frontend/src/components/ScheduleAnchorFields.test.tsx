import { fireEvent, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { ApiError } from "../api/client";
import type { ConnectorInput } from "../api/types";
import { connector, renderInRouter } from "../test/helpers";
import { ConnectorForm } from "./ConnectorForm";
import { anchorLabel } from "./ScheduleAnchorFields";

function submit() {
  fireEvent.submit(screen.getByRole("form", { name: /^Edit / }));
}

describe("the schedule's anchor in the connector form", () => {
  it("offers a UTC time for Daily, and sends it with no weekday", async () => {
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {});
    renderInRouter(<ConnectorForm connector={connector()} onSubmit={onSubmit} />);
    const time = screen.getByLabelText("At (HH:MM UTC)") as HTMLInputElement;
    expect(time.type).toBe("time");
    expect(screen.queryByLabelText("On")).toBeNull();
    fireEvent.change(time, { target: { value: "02:00" } });
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

  it("shows the API's refusal under the field", async () => {
    const message = "A WEEKLY schedule's anchor needs both sync_time and sync_weekday (Monday = 0): set sync_weekday too, or send both as null.";
    const onSubmit = vi.fn(async (_input: ConnectorInput) => {
      throw new ApiError(400, `sync_weekday: ${message}`, { detail: `sync_weekday: ${message}`, errors: { sync_weekday: [message] } });
    });
    renderInRouter(<ConnectorForm connector={connector({ sync_frequency: "WEEKLY" })} onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("At (HH:MM UTC)"), { target: { value: "06:30" } });
    submit();
    const day = screen.getByLabelText("On");
    await vi.waitFor(() => expect(day.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById("edit-7-sync_weekday-error")?.textContent).toBe(message);
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
