import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { syncLog } from "../test/helpers";
import { LiveStats, progressPercent } from "./LiveStats";

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
});
