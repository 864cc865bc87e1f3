import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { StatusBadge } from "./common";
import { STATUS_MEANINGS, runCounts, runOutcome, saveOnlyWarnings } from "./RunOutcome";

describe("a run's outcome", () => {
  it("counts the records a run marked deleted beside those it processed", () => {
    expect(runCounts({ records_processed: 0, records_deleted: 500 })).toBe("0 records, 500 deleted");
    expect(runCounts({ records_processed: 1, records_deleted: 0 })).toBe("1 record");
    expect(runCounts({ records_processed: 1200 })).toBe("1,200 records");
  });

  it("says how many warnings a run ended with, and nothing more for a clean run", () => {
    expect(runOutcome({ status: "SUCCESS", warnings_count: 1 })).toBe("SUCCESS · 1 warning");
    expect(runOutcome({ status: "PARTIAL", warnings: ["a", "b"] })).toBe("PARTIAL · 2 warnings");
    expect(runOutcome({ status: "SUCCESS", warnings_count: 0 })).toBe("SUCCESS");
    expect(runOutcome({ status: "SUCCESS" })).toBe("SUCCESS");
  });

  it("says what the retries count, requests sent again (not runs), and never as warnings, beside the status", () => {
    expect(runOutcome({ status: "FAILED", warnings_count: 0, retries: 4 })).toBe("FAILED · 4 requests retried");
    expect(runOutcome({ status: "SUCCESS", warnings_count: 1, retries: 1 })).toBe("SUCCESS · 1 warning · 1 request retried");
    expect(runOutcome({ status: "SUCCESS", warnings_count: 0, retries: 0 })).toBe("SUCCESS");
    render(<StatusBadge status="FAILED" retries={4} />);
    expect(screen.getByTestId("retries-marker").textContent).toBe("4 requests retried");
    expect(screen.queryByTestId("warnings-marker")).toBeNull();
  });

  it("puts the warnings count beside the status badge, and explains PARTIAL in its title", () => {
    render(<StatusBadge status="SUCCESS" warnings={2} />);
    expect(screen.getByText("SUCCESS")).toBeTruthy();
    expect(screen.getByTestId("warnings-marker").textContent).toBe("2 warnings");
    render(<StatusBadge status="PARTIAL" />);
    expect(screen.getByText("PARTIAL").getAttribute("title")).toBe(STATUS_MEANINGS.PARTIAL);
    expect(STATUS_MEANINGS.PARTIAL).toMatch(/did not get everything/);
  });

  it("keeps a save's own warnings apart from the last run's, which the answer lists after them", () => {
    const last = ["No record of the first page has the primary key 'user_id'"];
    const saved = { warnings: ["The host name did not resolve.", `The last sync (#3, SUCCESS) warned: ${last[0]}`], last_sync_warnings: last };
    expect(saveOnlyWarnings(saved)).toEqual(["The host name did not resolve."]);
    expect(saveOnlyWarnings({ warnings: [`The last sync (#3, SUCCESS) warned: ${last[0]}`], last_sync_warnings: last })).toEqual([]);
  });
});
