import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { fakeFetch, renderAs, syncLog } from "../test/helpers";
import { DashboardPage } from "./DashboardPage";

describe("the dashboard", () => {
  it("shows the tenant's statistics and latest syncs", async () => {
    fakeFetch((call) =>
      call.url === "/api/demo-extension/connectors/stats/"
        ? {
            body: {
              total_connectors: 3,
              active_connectors: 2,
              total_records_synced: 15230,
              last_24h_syncs: 7,
              success_rate: 85.714,
              partial_rate: 7.1,
              avg_sync_duration: 12.34,
              total_loads: 4,
              rows_loaded: 98765,
              failed_loads: 1,
            },
          }
        : {
            body: {
              count: 2,
              next: null,
              previous: null,
              results: [syncLog({ id: 41, status: "PARTIAL" }), syncLog({ id: 42, status: "SUCCESS", warnings: ["keyed by content"], warnings_count: 1 })],
            },
          },
    );
    renderAs("viewer", <DashboardPage />);
    expect(await screen.findByText("15,230")).toBeTruthy();
    expect(screen.getByText("85.7 %")).toBeTruthy();
    expect(screen.getByText("12.3 s")).toBeTruthy();
    // PARTIAL is shown apart from the success rate, and the mean is of successful syncs only
    expect(screen.getByText("Partial (incomplete or quarantined)").parentElement?.querySelector(".stat-value")?.textContent).toBe("7.1 %");
    expect(screen.getByText("Average duration of successful syncs")).toBeTruthy();
    expect(screen.getByText("7")).toBeTruthy();
    expect(screen.getByText("98,765")).toBeTruthy();
    const failedLoads = screen.getByText("Failed loads").parentElement;
    expect(failedLoads?.querySelector(".stat-value")?.textContent).toBe("1");
    expect((await screen.findByRole("link", { name: "#41" })).getAttribute("href")).toBe("/sync-logs/41");
    expect(screen.getByText("PARTIAL")).toBeTruthy();
    // a recent sync that warned is not shown as a clean success
    expect(screen.getByTestId("warnings-marker").textContent).toBe("1 warning");
  });

  it("shows no success rate or mean duration before the first sync, not 0", async () => {
    fakeFetch((call) =>
      call.url === "/api/demo-extension/connectors/stats/"
        ? {
            body: {
              total_connectors: 1,
              active_connectors: 1,
              total_records_synced: 0,
              last_24h_syncs: 0,
              success_rate: 0,
              avg_sync_duration: 0,
              total_loads: 0,
              rows_loaded: 0,
              failed_loads: 0,
            },
          }
        : { body: { count: 0, next: null, previous: null, results: [] } },
    );
    renderAs("viewer", <DashboardPage />);
    const value = async (label: string) => (await screen.findByText(label)).parentElement?.querySelector(".stat-value")?.textContent;
    await screen.findByText("No syncs yet.");
    expect(await value("Success rate")).toBe("—");
    expect(await value("Average duration of successful syncs")).toBe("—");
    expect(await value("Records stored")).toBe("0");
  });

  it("shows the API's message when the statistics cannot be read", async () => {
    fakeFetch(() => ({ status: 429, body: { detail: "Request was throttled. Expected available in 3 seconds." } }));
    renderAs("viewer", <DashboardPage />);
    expect((await screen.findAllByRole("alert"))[0]?.textContent).toBe("Request was throttled. Expected available in 3 seconds.");
  });
});
