import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { syncLog } from "../test/helpers";
import { LiveStats } from "./LiveStats";

describe("live sync figures", () => {
  it("show elapsed time, pages, records and records/s, and no bar without a total", () => {
    render(<LiveStats log={syncLog({ status: "SUCCESS", duration_seconds: 4, pages_fetched: 5, records_processed: 120 })} />);
    expect(screen.getByTestId("elapsed").textContent).toBe("4.0 s");
    expect(screen.getByTestId("pages-fetched").textContent).toBe("5");
    expect(screen.getByTestId("records-processed").textContent).toBe("120");
    expect(screen.getByTestId("records-per-second").textContent).toBe("30");
    expect(screen.queryByRole("progressbar")).toBeNull();
  });

  it("show a progress bar when a total is known", () => {
    render(<LiveStats log={syncLog({ status: "RUNNING", records_processed: 30 })} total={120} />);
    const bar = screen.getByRole("progressbar", { name: "Records synced of the total" });
    expect(bar.getAttribute("value")).toBe("25");
    expect(screen.getByText("30 of 120 (25 %)")).toBeTruthy();
  });
});
