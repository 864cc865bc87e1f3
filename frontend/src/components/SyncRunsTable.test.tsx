import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { renderInRouter, syncLog } from "../test/helpers";
import { SyncRunsTable } from "./SyncRunsTable";

/** The cell of `row` (1: the first run) under the column whose accessible name is `column`. */
function cellUnder(table: HTMLElement, column: string, row = 1): HTMLElement {
  const headers = within(table).getAllByRole("columnheader");
  const index = headers.indexOf(within(table).getByRole("columnheader", { name: column }));
  return within(within(table).getAllByRole("row")[row]!).getAllByRole("cell")[index]!;
}

describe("the table of sync runs", () => {
  it("has a connector's history in eight columns: start and outcome first, the record counts in one cell", () => {
    renderInRouter(<SyncRunsTable runs={[syncLog({ id: 41, status: "SUCCESS" })]} label="Sync history" details />);
    const table = screen.getByRole("table", { name: "Sync history" });
    const names = within(table)
      .getAllByRole("columnheader")
      .map((header) => header.textContent);
    // Thirteen columns did not fit 1280 px: the start time was cut off behind the sideways scroll.
    expect(names).toEqual(["Run", "Started", "Status", "Trigger", "Duration", "Records", "Pages", "Records/sRecords per second"]);
    // The abbreviation is read out in full.
    expect(within(table).getByRole("columnheader", { name: "Records per second" })).toBeTruthy();
    for (const header of within(table).getAllByRole("columnheader")) expect(header.getAttribute("scope")).toBe("col");
  });

  it("says what a run did to the records in words, leaving out the counts of 0", () => {
    const run = syncLog({ id: 41, status: "SUCCESS", records_processed: 500, records_created: 0, records_updated: 2, records_unchanged: 497, records_failed: 1 });
    renderInRouter(<SyncRunsTable runs={[run]} label="Sync history" details />);
    const records = cellUnder(screen.getByRole("table", { name: "Sync history" }), "Records");
    expect(records.textContent).toBe("2 updated · 497 unchanged · 1 quarantined");
    expect(within(records).getByText("1 quarantined").className).toContain("record-count-quarantined");
  });

  it("counts the records a full refresh marked deleted, so that run does not read as a no-op", () => {
    const run = syncLog({ id: 3, status: "SUCCESS", full_refresh: true, allow_empty: true, records_processed: 0, records_deleted: 500 });
    renderInRouter(<SyncRunsTable runs={[run]} label="Sync history" details />);
    const table = screen.getByRole("table", { name: "Sync history" });
    expect(cellUnder(table, "Records").textContent).toBe("500 deleted");
    expect(cellUnder(table, "Run").textContent).toBe("#3 full refresh");
  });

  it("leads with the processed total when the counts do not add up to it, and says none when nothing was touched", () => {
    const repeated = syncLog({ id: 5, status: "SUCCESS", records_processed: 12, records_created: 10 });
    const failed = syncLog({ id: 6, status: "FAILED", records_processed: 0, duration_seconds: 2.3 });
    renderInRouter(<SyncRunsTable runs={[repeated, failed]} label="Sync history" details />);
    const table = screen.getByRole("table", { name: "Sync history" });
    expect(cellUnder(table, "Records", 1).textContent).toBe("12 processed · 10 created");
    expect(cellUnder(table, "Records", 2).textContent).toBe("none");
  });

  it("says under a run's duration how long it waited for the API's rate limit, marked when that is most of the run", () => {
    const limited = syncLog({ id: 9, status: "SUCCESS", duration_seconds: 150, rate_limit_wait_seconds: 124.6 });
    const brief = syncLog({ id: 10, status: "SUCCESS", duration_seconds: 40, rate_limit_wait_seconds: 3 });
    const none = syncLog({ id: 11, status: "SUCCESS", duration_seconds: 40, rate_limit_wait_seconds: 0.4 });
    renderInRouter(<SyncRunsTable runs={[limited, brief, none]} label="Syncs" connector details />);
    const table = screen.getByRole("table", { name: "Syncs" });
    expect(cellUnder(table, "Duration", 1).textContent).toBe("2 min 30 swaited 2 min 5 s for the API’s rate limit");
    expect(screen.getByTestId("run-waited-9").className).toContain("run-waited-most");
    expect(screen.getByTestId("run-waited-10").textContent).toBe("waited 3.0 s for the API’s rate limit");
    expect(screen.getByTestId("run-waited-10").className).not.toContain("run-waited-most");
    expect(cellUnder(table, "Duration", 3).textContent).toBe("40.0 s");
  });

  it("says under a running run's status that it waits for the API's rate limit, so it does not look stuck", () => {
    const runs = [
      syncLog({ id: 7, status: "RUNNING", requests_paused_for: 11.2 }),
      syncLog({ id: 6, status: "RUNNING", requests_paused_for: 0 }),
      syncLog({ id: 5, status: "FAILED", requests_paused_for: null }),
    ];
    renderInRouter(<SyncRunsTable runs={runs} label="Syncs" />);
    const table = screen.getByRole("table", { name: "Syncs" });
    expect(cellUnder(table, "Status", 1).textContent).toContain("Waiting for the API’s rate limit: 12\u00a0s more");
    expect(within(table).getAllByTestId("row-sync-paused")).toHaveLength(1);
  });

  it("shows no rate for a run that handled no record, and each finished run's rate otherwise", () => {
    const failed = syncLog({ id: 6, status: "FAILED", records_processed: 0, duration_seconds: 2.3 });
    const finished = syncLog({ id: 7, status: "SUCCESS", records_processed: 5000, records_created: 5000, duration_seconds: 6.7 });
    const running = syncLog({ id: 8, status: "RUNNING", records_processed: 200, records_created: 200, duration_seconds: null });
    renderInRouter(<SyncRunsTable runs={[running, finished, failed]} label="Sync history" details />);
    const table = screen.getByRole("table", { name: "Sync history" });
    expect([1, 2, 3].map((row) => cellUnder(table, "Records per second", row).textContent)).toEqual(["—", "746/s", "—"]);
  });

  it("is a card per run on a phone: the run its title, every other cell under its column's name", () => {
    renderInRouter(<SyncRunsTable runs={[syncLog({ id: 41, status: "SUCCESS" })]} label="Recent syncs" connector />);
    const table = screen.getByRole("table", { name: "Recent syncs" });
    expect(table.className).toContain("table-stack");
    const [run, ...others] = within(table).getAllByRole("cell");
    expect(run!.className).toBe("stack-title");
    expect(others.map((cell) => cell.getAttribute("data-label"))).toEqual(["Connector", "Started", "Status", "Duration", "Records"]);
    expect(within(table).getByRole("link", { name: "Customer API" }).getAttribute("href")).toBe("/connectors/7");
    expect(within(table).getByRole("link", { name: "#41" }).getAttribute("href")).toBe("/sync-logs/41");
  });

  it("says why a failed or partial run ended under its row, the table's width, so the list needs no click per run", () => {
    const error = "Fetching page 1 failed: HTTP 500 from http://127.0.0.1:8001/users (the API says: 'internal') after 5 attempts";
    const runs = [
      syncLog({ id: 43, status: "FAILED", error_message: error }),
      syncLog({ id: 42, status: "PARTIAL", error_message: "The API announced 600 records; 500 were read." }),
      syncLog({ id: 41, status: "SUCCESS", error_message: "" }),
      syncLog({ id: 40, status: "CANCELLED", error_message: "Cancelled by admin@acme.test." }),
    ];
    renderInRouter(<SyncRunsTable runs={runs} label="Syncs" connector details />);
    const table = screen.getByRole("table", { name: "Syncs" });
    const failed = screen.getByTestId("run-error-43");
    expect(failed.textContent).toBe(error);
    expect(failed.getAttribute("title")).toBe(error);
    const errorRow = failed.closest("tr")!;
    expect(within(errorRow.previousElementSibling as HTMLElement).getByRole("link", { name: "#43" })).toBeTruthy();
    expect(failed.closest("td")!.getAttribute("colspan")).toBe(String(within(table).getAllByRole("columnheader").length));
    expect(screen.getByTestId("run-error-42").textContent).toBe("The API announced 600 records; 500 were read.");
    expect(screen.queryByTestId("run-error-41")).toBeNull();
    expect(screen.queryByTestId("run-error-40")).toBeNull();
  });
});
