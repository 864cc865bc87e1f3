import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { formatTimeLeft } from "../format";

import { syncLog } from "../test/helpers";
import { LiveStats, progressPercent, secondsLeft } from "./LiveStats";

describe("live sync figures", () => {
  it("show elapsed time, pages, records and records/s, and no bar without a total", () => {
    render(<LiveStats log={syncLog({ status: "SUCCESS", duration_seconds: 4, pages_fetched: 5, records_processed: 120, records_total: null })} />);
    expect(screen.getByTestId("elapsed").textContent).toBe("4.0 s");
    expect(screen.getByTestId("pages-fetched").textContent).toBe("5");
    expect(screen.getByTestId("records-processed").textContent).toBe("120");
    expect(screen.getByTestId("records-per-second").textContent).toBe("30");
    expect(screen.queryByRole("progressbar")).toBeNull();
    expect(screen.queryByTestId("sync-progress-bar")).toBeNull();
  });

  it.each([
    [4, 10, "0.4"], // a slow API: not "0"
    [1, 25, "0.04"],
    [15, 2, "7.5"],
    [1_234_567, 100, "12,346"], // thousands separators for a fast one
  ])("show %i records in %i s as %s records/s", (records, seconds, shown) => {
    render(<LiveStats log={syncLog({ status: "SUCCESS", duration_seconds: seconds, records_processed: records })} />);
    expect(screen.getByTestId("records-per-second").textContent).toBe(shown);
  });

  it("show no records/s for a run that handled no record", () => {
    render(<LiveStats log={syncLog({ status: "FAILED", duration_seconds: 2.3, records_processed: 0 })} />);
    expect(screen.getByTestId("records-per-second").textContent).toBe("—");
  });

  it("show no bar when the API does not send a total at all", () => {
    const log = syncLog({ status: "RUNNING", records_processed: 30 });
    delete log.records_total;
    render(<LiveStats log={log} />);
    expect(screen.queryByRole("progressbar")).toBeNull();
  });

  it("show a progress bar with its value and maximum when the upstream announced a total", () => {
    render(<LiveStats log={syncLog({ status: "RUNNING", records_processed: 30, records_total: 120 })} />);
    const bar = screen.getByRole("progressbar", { name: "Records synced of the announced total" });
    expect(bar.getAttribute("aria-valuemin")).toBe("0");
    expect(bar.getAttribute("aria-valuemax")).toBe("120");
    expect(bar.getAttribute("aria-valuenow")).toBe("30");
    expect(bar.getAttribute("aria-valuetext")).toBe("30 of 120 records (25 %)");
    expect((bar.firstElementChild as HTMLElement).style.width).toBe("25%");
    expect(screen.getByText("30 of 120 records (25 %)")).toBeTruthy();
  });

  it("count a sync that stops at its page limit before the announced total in pages, with the time left to that limit", () => {
    const started = Date.parse("2026-11-27T10:00:00Z");
    // max_pages 12 of a 1-record page: 500 announced, 12 coming; 9 pages in 18 s
    const log = syncLog({ status: "RUNNING", started_at: "2026-11-27T10:00:00Z", page_cap: 12, pages_fetched: 9, records_processed: 9, records_total: 500 });
    expect(secondsLeft(log, started + 18_000)).toBe(6); // 3 pages at 2 s each, not 16 min for 491 records
    expect(progressPercent(log)).toBe(75);
    render(<LiveStats log={log} />);
    const bar = screen.getByRole("progressbar", { name: "Pages fetched of the sync's page limit" });
    expect([bar.getAttribute("aria-valuenow"), bar.getAttribute("aria-valuemax")]).toEqual(["9", "12"]);
    expect(bar.getAttribute("aria-valuetext")).toBe(
      "9 of 12 pages (75 %): stops at max pages per sync, short of the 500 records announced",
    );
    // a limit the sync will not reach changes nothing
    const roomy = { ...log, page_cap: 10_000 };
    expect(secondsLeft(roomy, started + 18_000)).toBe(982);
    expect(progressPercent(roomy)).toBeCloseTo(1.8);
  });

  it("keep the bar within its maximum when the count passes the announced total", () => {
    const log = syncLog({ status: "RUNNING", records_processed: 130, records_total: 120 });
    render(<LiveStats log={log} />);
    const bar = screen.getByRole("progressbar");
    expect(bar.getAttribute("aria-valuenow")).toBe("120");
    expect(progressPercent(log)).toBe(100);
  });

  it("show no bar for a total of zero", () => {
    render(<LiveStats log={syncLog({ status: "SUCCESS", duration_seconds: 1, records_processed: 0, records_total: 0 })} />);
    expect(screen.queryByRole("progressbar")).toBeNull();
  });

  it("estimate the time left from the rate so far while a sync with an announced total runs", () => {
    const started = Date.parse("2026-11-27T10:00:00Z");
    const log = syncLog({ status: "RUNNING", started_at: "2026-11-27T10:00:00Z", records_processed: 100, records_total: 500 });
    // 100 records in 10 s: 10/s, 400 to go
    expect(secondsLeft(log, started + 10_000)).toBe(40);
    expect(secondsLeft({ ...log, records_processed: 500 }, started + 10_000)).toBe(0);
    expect(secondsLeft({ ...log, records_processed: 0 }, started + 10_000)).toBeNull();
    expect(secondsLeft({ ...log, records_total: null }, started + 10_000)).toBeNull();
    expect(secondsLeft({ ...log, status: "SUCCESS", duration_seconds: 10 }, started + 10_000)).toBeNull();
    // a resumed run: its earlier attempts' time counts, not the time it was stopped
    const resumed = { ...log, resumed_at: "2026-11-27T11:00:00Z", duration_seconds: 5 };
    expect(secondsLeft(resumed, Date.parse("2026-11-27T11:00:05Z"))).toBe(40);
  });

  it("show the time left beside the bar while running, and none once the sync ended or without a total", () => {
    const now = Date.now();
    const running = render(<LiveStats log={syncLog({ status: "RUNNING", started_at: new Date(now - 10_000).toISOString(), records_processed: 100, records_total: 1300 })} />);
    expect(screen.getByTestId("time-left").textContent).toMatch(/^about (2 min|\d+ s)$/);
    running.unmount();
    const ended = render(<LiveStats log={syncLog({ status: "SUCCESS", duration_seconds: 3, records_processed: 1300, records_total: 1300 })} />);
    expect(screen.queryByTestId("time-left")).toBeNull();
    ended.unmount();
    render(<LiveStats log={syncLog({ status: "RUNNING", started_at: new Date(now - 10_000).toISOString(), records_processed: 100, records_total: null })} />);
    expect(screen.queryByTestId("time-left")).toBeNull();
  });

  it("word the estimate as one", () => {
    expect(formatTimeLeft(null)).toBe("—");
    expect(formatTimeLeft(0.4)).toBe("less than a second");
    expect(formatTimeLeft(7.2)).toBe("about 8 s");
    expect(formatTimeLeft(245)).toBe("about 4 min");
    expect(formatTimeLeft(7500)).toBe("about 2 h 5 min");
  });
});
