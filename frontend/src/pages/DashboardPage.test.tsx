import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

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
              count: 3,
              next: null,
              previous: null,
              results: [
                syncLog({ id: 41, status: "PARTIAL" }),
                syncLog({ id: 42, status: "SUCCESS", warnings: ["keyed by content"], warnings_count: 1 }),
                syncLog({ id: 43, status: "FAILED", warnings: [], warnings_count: 0, retries: 4 }),
              ],
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
    // "24 h" never breaks between the number and its unit
    expect(screen.getByText(/^Syncs in the last 24/).textContent).toBe("Syncs in the last 24\u00a0h");
    // the rates are of every finished sync, not of the last 24 hours' syncs beside them
    const rate = screen.getByText("Success rate").parentElement;
    expect(rate?.querySelector(".stat-hint")?.textContent).toBe("of all finished syncs, cancelled ones left out");
    expect(screen.getByText("7")).toBeTruthy();
    expect(screen.getByText("98,765")).toBeTruthy();
    const failedLoads = screen.getByText("Failed loads").parentElement;
    expect(failedLoads?.querySelector(".stat-value")?.textContent).toBe("1");
    // a failed load says where to look: the destinations, whose pages show each last load's error
    expect(failedLoads?.querySelector("a")?.getAttribute("href")).toBe("/destinations");
    expect(failedLoads?.querySelector("a")?.textContent).toBe("See the destinations");
    expect((await screen.findByRole("link", { name: "#41" })).getAttribute("href")).toBe("/sync-logs/41");
    expect(screen.getByText("PARTIAL")).toBeTruthy();
    // a recent sync that warned is not shown as a clean success
    expect(screen.getByTestId("warnings-marker").textContent).toBe("1 warning");
    // a failed sync's retries are said as retries, not counted as warnings
    expect(screen.getByTestId("retries-marker").textContent).toBe("4 requests retried");
  });

  it.each([
    [0.004, "4 ms"],
    [1.25, "1.3 s"],
    [184.2, "3 min 4 s"],
    [3720, "1 h 2 min"],
  ])("says an average duration of %s seconds as %s, not in hundredths of a second", async (seconds, shown) => {
    fakeFetch((call) =>
      call.url === "/api/demo-extension/connectors/stats/"
        ? { body: { total_connectors: 1, active_connectors: 1, total_records_synced: 500, last_24h_syncs: 2, success_rate: 100, partial_rate: 0, completed_syncs: 2, avg_sync_duration: seconds, total_loads: 0, rows_loaded: 0, failed_loads: 0 } }
        : { body: { count: 1, next: null, previous: null, results: [syncLog({ id: 1, status: "SUCCESS" })] } },
    );
    renderAs("viewer", <DashboardPage />);
    const label = await screen.findByText("Average duration of successful syncs");
    expect(label.parentElement?.querySelector(".stat-value")?.textContent).toBe(shown);
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
    // no failed load, nowhere to send anyone
    expect(screen.getByText("Failed loads").parentElement?.querySelector("a")).toBeNull();
  });

  it("shows no success or partial rate while the first sync runs, not 0 %: no sync has completed", async () => {
    fakeFetch((call) =>
      call.url === "/api/demo-extension/connectors/stats/"
        ? {
            body: {
              total_connectors: 1,
              active_connectors: 1,
              total_records_synced: 0,
              last_24h_syncs: 1,
              success_rate: 0,
              partial_rate: 0,
              completed_syncs: 0,
              avg_sync_duration: 0,
              total_loads: 0,
              rows_loaded: 0,
              failed_loads: 0,
            },
          }
        : { body: { count: 1, next: null, previous: null, results: [syncLog({ id: 1, status: "RUNNING" })] } },
    );
    renderAs("viewer", <DashboardPage />);
    const value = async (label: string) => (await screen.findByText(label)).parentElement?.querySelector(".stat-value")?.textContent;
    expect(await screen.findByRole("link", { name: "#1" })).toBeTruthy();
    expect(await value("Success rate")).toBe("—");
    expect(await value("Partial (incomplete or quarantined)")).toBe("—");
    expect(await value("Average duration of successful syncs")).toBe("—");
    expect(screen.getByText(/^Syncs in the last 24/).parentElement?.querySelector(".stat-value")?.textContent).toBe("1");
  });

  it("shows the API's message when the statistics cannot be read", async () => {
    fakeFetch(() => ({ status: 429, body: { detail: "Request was throttled. Expected available in 3 seconds." } }));
    renderAs("viewer", <DashboardPage />);
    const alerts = await screen.findAllByRole("alert");
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.querySelector("p")?.textContent).toBe("Request was throttled. Expected available in 3 seconds.");
  });

  it("says once that the server failed, with the request id to look for and a retry that reads again", async () => {
    let failing = true;
    const urls: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL) => {
        const url = String(input);
        urls.push(url);
        if (failing) return new Response("<html><body><h1>Server Error (500)</h1></body></html>", { status: 500, headers: { "Content-Type": "text/html", "X-Request-ID": "req-5f2a9c01" } });
        if (url.includes("/stats/history/")) return new Response(JSON.stringify({ days: [] }), { status: 200 });
        if (url.includes("/stats/"))
          return new Response(JSON.stringify({ total_connectors: 2, active_connectors: 1, total_records_synced: 15230, last_24h_syncs: 0, success_rate: 0, avg_sync_duration: 0, total_loads: 0, rows_loaded: 0, failed_loads: 0 }), { status: 200 });
        return new Response(JSON.stringify({ count: 0, next: null, previous: null, results: [] }), { status: 200 });
      }),
    );
    renderAs("viewer", <DashboardPage />);
    const alert = await screen.findByTestId("load-failure");
    await waitFor(() => expect(urls).toHaveLength(3));
    expect(screen.getAllByRole("alert")).toHaveLength(1);
    expect(alert.querySelector("p")?.textContent).toBe("The server failed with HTTP 500 and sent no explanation.");
    expect(alert.textContent).toContain("look for request id req-5f2a9c01");
    expect(alert.textContent).not.toContain("non-JSON");
    failing = false;
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("15,230")).toBeTruthy();
    await waitFor(() => expect(screen.queryByTestId("load-failure")).toBeNull());
    expect(urls).toHaveLength(6);
  });
});
