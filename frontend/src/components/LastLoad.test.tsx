import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { Destination, DestinationAttachment, DestinationLastLoad } from "../api/types";
import { destination, fakeFetch, renderInRouter } from "../test/helpers";
import { destinationLoadSummary, failedLoadsOf, FailedLoadsNotice, LastLoadCell, LoadedInto, useDestinations } from "./LastLoad";

function lastLoad(overrides: Partial<DestinationLastLoad> = {}): DestinationLastLoad {
  return { id: 1, status: "SUCCESS", started_at: "2026-11-27T10:00:00Z", finished_at: "2026-11-27T10:00:01Z", error_message: "", created_at: "2026-11-27T10:00:00Z", ...overrides };
}

function attachment(connector: number, load: DestinationLastLoad | null): DestinationAttachment {
  return { id: connector, connector, table_name: `t${connector}`, column_names: "snake_case", high_water: 0, last_load_at: null, last_load: load, columns: [], created_at: "2026-11-27T09:00:00Z" };
}

function destinationOf(id: number, name: string, attachments: DestinationAttachment[]): Destination {
  return destination({ id, name, attachments });
}

/** A connector page's destinations part: read once, shown as the failed-loads notice and the
 * "Loaded into" item of its details. */
function ConnectorLoads({ connectorId }: { connectorId: number }) {
  const destinations = useDestinations(connectorId);
  return (
    <>
      <FailedLoadsNotice connectorId={connectorId} destinations={destinations} />
      <dl>
        <LoadedInto connectorId={connectorId} destinations={destinations} />
      </dl>
    </>
  );
}

describe("a destination's last loads", () => {
  it("says a reload that did not finish goes on at the next load, once no load runs", () => {
    const failed = lastLoad({ id: 5, status: "FAILED", error_message: "The destination refused the load: boom" });
    renderInRouter(<LastLoadCell attachment={{ ...attachment(7, failed), reload_pending: true }} />);
    expect(screen.getByText(/Reload not finished: the next load goes on with it/)).toBeTruthy();
  });

  it("says nothing of a reload while a load runs, or when none is pending", () => {
    const running = lastLoad({ id: 9, status: "RUNNING", finished_at: null });
    const { unmount } = renderInRouter(<LastLoadCell attachment={{ ...attachment(7, running), reload_pending: true }} />);
    expect(screen.queryByText(/Reload not finished/)).toBeNull();
    unmount();
    renderInRouter(<LastLoadCell attachment={attachment(7, lastLoad())} />);
    expect(screen.queryByText(/Reload not finished/)).toBeNull();
  });

  it("shows a failing connector's load before a newer success, and the newest load otherwise", () => {
    const failed = lastLoad({ id: 5, status: "FAILED", finished_at: "2026-11-27T10:00:00Z" });
    const newer = lastLoad({ id: 6, finished_at: "2026-11-27T12:00:00Z" });
    expect(destinationLoadSummary(destinationOf(1, "W", [attachment(7, failed), attachment(8, newer)]))).toEqual({ load: failed, failing: 1, attached: 2 });
    const older = lastLoad({ id: 4, finished_at: "2026-11-27T09:00:00Z" });
    expect(destinationLoadSummary(destinationOf(1, "W", [attachment(7, older), attachment(8, newer)]))).toEqual({ load: newer, failing: 0, attached: 2 });
    expect(destinationLoadSummary(destinationOf(1, "W", [attachment(7, null)]))).toEqual({ load: null, failing: 0, attached: 1 });
    // a load still running has no end yet: its start places it
    const running = lastLoad({ id: 9, status: "RUNNING", finished_at: null, started_at: "2026-11-27T13:00:00Z" });
    expect(destinationLoadSummary(destinationOf(1, "W", [attachment(7, running), attachment(8, newer)])).load).toBe(running);
  });

  it("finds the connector's failed loads only, in every destination it is attached to", () => {
    const failed = lastLoad({ id: 5, status: "FAILED", error_message: "boom" });
    const destinations = [
      destinationOf(1, "Warehouse", [attachment(7, failed), attachment(8, lastLoad({ id: 2, status: "FAILED" }))]),
      destinationOf(2, "Lake", [attachment(7, lastLoad())]),
    ];
    expect(failedLoadsOf(7, destinations)).toEqual([{ destination: destinations[0], load: failed }]);
    expect(failedLoadsOf(9, destinations)).toEqual([]);
  });

  it("warns on a connector's page that its latest load into a destination failed, with the error and a link", async () => {
    const failed = lastLoad({ id: 5, status: "FAILED", error_message: "The host name db.example.com could not be resolved." });
    const calls = fakeFetch(() => ({ body: { count: 2, next: null, previous: null, results: [destinationOf(3, "Warehouse", [attachment(7, failed)]), destinationOf(4, "Lake", [attachment(7, lastLoad())])] } }));
    renderInRouter(<ConnectorLoads connectorId={7} />);
    const notice = await screen.findByTestId("failed-loads");
    expect(notice.textContent).toContain("The latest load of this connector into a destination failed");
    expect(within(notice).getByRole("link", { name: "Warehouse" }).getAttribute("href")).toBe("/destinations/3");
    expect(notice.textContent).toContain("load #5");
    expect(notice.textContent).toContain("could not be resolved");
    expect(within(notice).queryByRole("link", { name: "Lake" })).toBeNull();
    expect(calls[0]!.url).toBe("/api/destinations/?page_size=100");
  });

  it("says nothing when the loads succeeded or the destinations cannot be read", async () => {
    fakeFetch(() => ({ status: 500, body: { detail: "boom" } }));
    const { unmount } = renderInRouter(<ConnectorLoads connectorId={7} />);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(screen.queryByTestId("failed-loads")).toBeNull();
    unmount();
    fakeFetch(() => ({ body: { count: 1, next: null, previous: null, results: [destinationOf(3, "Warehouse", [attachment(7, lastLoad())])] } }));
    renderInRouter(<ConnectorLoads connectorId={7} />);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(screen.queryByTestId("failed-loads")).toBeNull();
  });

  it("says on a connector's page which destinations load it, into which table, and their latest load", async () => {
    const loaded = lastLoad({ id: 5, finished_at: "2026-11-27T10:00:01Z" });
    const calls = fakeFetch(() => ({
      body: {
        count: 3,
        next: null,
        previous: null,
        results: [destinationOf(3, "Warehouse", [attachment(7, loaded)]), destinationOf(4, "Lake", [attachment(7, null)]), destinationOf(5, "Other", [attachment(8, lastLoad())])],
      },
    }));
    renderInRouter(<ConnectorLoads connectorId={7} />);
    const item = await screen.findByTestId("loaded-into");
    expect(within(item).getByRole("term").textContent).toBe("Loaded into");
    const rows = within(item).getAllByRole("listitem");
    expect(rows.map((row) => row.textContent)).toEqual(["Warehouse, table public.t7: SUCCESS 27 Nov 2026, 10:00:01 UTC", "Lake, table public.t7: not loaded yet"]);
    expect(within(rows[0]!).getByRole("link", { name: "Warehouse" }).getAttribute("href")).toBe("/destinations/3");
    expect(within(item).queryByRole("link", { name: "Other" })).toBeNull();
    // one read of the destinations for the notice and the details alike
    expect(calls.filter((call) => call.url.startsWith("/api/destinations/"))).toHaveLength(1);
  });

  it("says on a connector's page that no destination loads it, and where to attach one", async () => {
    fakeFetch(() => ({ body: { count: 1, next: null, previous: null, results: [destinationOf(5, "Other", [attachment(8, lastLoad())])] } }));
    renderInRouter(<ConnectorLoads connectorId={7} />);
    const item = await screen.findByTestId("loaded-into");
    expect(within(item).getByRole("definition").textContent).toBe("No destination: attach it to one to load its records into PostgreSQL.");
    expect(within(item).getByRole("link", { name: "attach it to one" }).getAttribute("href")).toBe("/destinations");
  });
});
