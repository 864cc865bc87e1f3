import { act, fireEvent, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { SyncLog } from "../api/types";
import { REFRESH_FIRST_MS, REFRESH_MAX_MS } from "../hooks";
import { connector, fakeFetch, renderAs, syncLog } from "../test/helpers";
import { SyncsPage } from "./SyncsPage";

const page = <T,>(results: T[]) => ({ count: results.length, next: null, previous: null, results });

function api(logs: () => SyncLog[]) {
  return fakeFetch((call) => {
    if (call.url.startsWith("/api/demo-extension/connectors/")) return { body: page([connector()]) };
    return { body: page(logs()) };
  });
}

const syncCalls = (calls: { url: string }[]) => calls.filter((c) => c.url.startsWith("/api/demo-extension/sync-logs/"));

afterEach(() => {
  vi.useRealTimers();
});

async function wait(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

describe("the syncs page", () => {
  it("lists every sync of the tenant with its trigger", async () => {
    api(() => [syncLog({ id: 8, status: "SUCCESS", triggered_by: "ui", records_processed: 120 })]);
    renderAs("viewer", <SyncsPage />, "/syncs", "/syncs");
    expect(await screen.findByRole("link", { name: "#8" })).toBeTruthy();
    const table = screen.getByRole("table", { name: "Syncs" });
    expect(within(table).getByText("Web UI")).toBeTruthy();
    expect([...(screen.getByLabelText("Trigger") as HTMLSelectElement).options].map((option) => option.text)).toEqual(["Any", "Web UI", "API", "Schedule", "Command line"]);
    expect(within(table).getByText("120 processed")).toBeTruthy();
  });

  it("shows how fast each finished sync went: records per second beside the duration", async () => {
    api(() => [
      syncLog({ id: 8, status: "SUCCESS", records_processed: 5000, duration_seconds: 6.7 }),
      syncLog({ id: 9, status: "FAILED", records_processed: 12, duration_seconds: 4 }),
    ]);
    renderAs("viewer", <SyncsPage />, "/syncs", "/syncs");
    await screen.findByRole("link", { name: "#8" });
    const table = screen.getByRole("table", { name: "Syncs" });
    const column = within(table).getAllByRole("columnheader").indexOf(within(table).getByRole("columnheader", { name: "Records per second" }));
    const rates = within(table).getAllByRole("row").slice(1).map((row) => within(row).getAllByRole("cell")[column]?.textContent);
    expect(rates).toEqual(["746/s", "3.0/s"]);
  });

  it("lays its short filters out two a row on a phone (the style sheet's filter-pairs)", async () => {
    api(() => []);
    renderAs("viewer", <SyncsPage />, "/syncs", "/syncs");
    const form = await screen.findByRole("form", { name: "Sync filters" });
    expect(form.querySelector(".filter-grid")!.classList.contains("filter-pairs")).toBe(true);
  });

  it("takes its filters from the address, so a reload or a shared link keeps them", async () => {
    const calls = api(() => []);
    renderAs("viewer", <SyncsPage />, "/syncs?status=FAILED&triggered_by=schedule&connector=7&page=2", "/syncs");
    await screen.findByText("No sync matches these filters.");
    expect(syncCalls(calls)[0]?.url).toBe(
      "/api/demo-extension/sync-logs/?ordering=-created_at&page=2&page_size=25&status=FAILED&triggered_by=schedule&connector=7",
    );
    expect((screen.getByLabelText("Status") as HTMLSelectElement).value).toBe("FAILED");
    expect((screen.getByLabelText("Trigger") as HTMLSelectElement).value).toBe("schedule");
  });

  it("sends a day range as the instants of its local midnights, the end day included", async () => {
    const calls = api(() => []);
    renderAs("viewer", <SyncsPage />, "/syncs?created_after=2026-11-01&created_before=2026-11-30", "/syncs");
    await screen.findByText("No sync matches these filters.");
    const url = new URL(syncCalls(calls)[0]!.url, "http://x");
    expect(url.searchParams.get("created_after")).toBe(new Date("2026-11-01T00:00:00").toISOString());
    expect(url.searchParams.get("created_before")).toBe(new Date("2026-12-01T00:00:00").toISOString());
  });

  it("says there is no sync yet, and where to start one, when no filter is applied", async () => {
    api(() => []);
    renderAs("viewer", <SyncsPage />, "/syncs", "/syncs");
    await screen.findByText(/^No syncs yet: start one with Sync now/);
    expect(screen.getByRole("link", { name: "connector" }).getAttribute("href")).toBe("/connectors");
    expect(screen.queryByText("No sync matches these filters.")).toBeNull();
  });

  it("ignores junk in the address instead of sending it", async () => {
    const calls = api(() => []);
    renderAs("viewer", <SyncsPage />, "/syncs?status=DONE&connector=abc&created_after=yesterday", "/syncs");
    await screen.findByText(/^No syncs yet/);
    expect(syncCalls(calls)[0]?.url).toBe("/api/demo-extension/sync-logs/?ordering=-created_at&page=1&page_size=25");
  });

  it("applies the chosen filters", async () => {
    const calls = api(() => []);
    renderAs("viewer", <SyncsPage />, "/syncs", "/syncs");
    await screen.findByText(/^No syncs yet/);
    fireEvent.change(screen.getByLabelText("Status"), { target: { value: "PARTIAL" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    await vi.waitFor(() => expect(syncCalls(calls).at(-1)?.url).toContain("status=PARTIAL"));
    await screen.findByText("No sync matches these filters.");
  });

  it("shows in its form the filters the list was read with after Back, not the ones applied since", async () => {
    const calls = api(() => []);
    const { router } = renderAs("viewer", <SyncsPage />, "/syncs?status=FAILED", "/syncs");
    await screen.findByText("No sync matches these filters.");
    fireEvent.change(screen.getByLabelText("Status"), { target: { value: "" } });
    fireEvent.change(screen.getByLabelText("Trigger"), { target: { value: "schedule" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    await vi.waitFor(() => expect(syncCalls(calls).at(-1)?.url).toContain("triggered_by=schedule"));
    await act(async () => {
      await router.navigate(-1);
    });
    await vi.waitFor(() => expect(syncCalls(calls).at(-1)?.url).toContain("status=FAILED"));
    expect((screen.getByLabelText("Status") as HTMLSelectElement).value).toBe("FAILED");
    expect((screen.getByLabelText("Trigger") as HTMLSelectElement).value).toBe("");
  });

  it("says an Until day before the From day matches nothing, on the Until field, instead of listing nothing", async () => {
    const calls = api(() => []);
    renderAs("viewer", <SyncsPage />, "/syncs", "/syncs");
    await screen.findByText(/^No syncs yet/);
    fireEvent.change(screen.getByLabelText("From (day)"), { target: { value: "2026-12-07" } });
    fireEvent.change(screen.getByLabelText("Until (day)"), { target: { value: "2026-12-01" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    const until = screen.getByLabelText("Until (day)");
    expect(until.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(until.getAttribute("aria-describedby")!)?.textContent).toBe("Until is before From: no day is in that range.");
    expect(document.activeElement).toBe(until);
    expect(syncCalls(calls)).toHaveLength(1);
    // the two days share one row on a phone (styles.css)
    expect(until.closest(".day-range")?.contains(screen.getByLabelText("From (day)"))).toBe(true);
    // a corrected day clears it, and the range is applied
    fireEvent.change(until, { target: { value: "2026-12-08" } });
    expect(until.getAttribute("aria-invalid")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    await vi.waitFor(() => expect(syncCalls(calls)).toHaveLength(2));
  });

  it("refreshes itself while a listed sync runs, and stops when none does", async () => {
    let status: SyncLog["status"] = "RUNNING";
    const calls = api(() => [syncLog({ id: 8, status })]);
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderAs("viewer", <SyncsPage />, "/syncs", "/syncs");
    expect(await screen.findByTestId("auto-refresh")).toBeTruthy();
    const before = syncCalls(calls).length;
    status = "SUCCESS";
    await wait(REFRESH_FIRST_MS + 50);
    await vi.waitFor(() => expect(syncCalls(calls).length).toBe(before + 1));
    await vi.waitFor(() => expect(screen.queryByTestId("auto-refresh")).toBeNull());
    await wait(REFRESH_MAX_MS * 2);
    expect(syncCalls(calls).length).toBe(before + 1);
  });

  it("reads itself less often while a sync lasts, never less than every REFRESH_MAX_MS", async () => {
    const calls = api(() => [syncLog({ id: 8, status: "PENDING" })]);
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderAs("viewer", <SyncsPage />, "/syncs", "/syncs");
    await screen.findByTestId("auto-refresh");
    expect(syncCalls(calls)).toHaveLength(1);
    await wait(REFRESH_FIRST_MS + 50);
    await vi.waitFor(() => expect(syncCalls(calls)).toHaveLength(2));
    await wait(REFRESH_FIRST_MS + 50); // the second wait is 1.5 times the first
    expect(syncCalls(calls)).toHaveLength(2);
    await wait(REFRESH_FIRST_MS);
    await vi.waitFor(() => expect(syncCalls(calls)).toHaveLength(3));
    for (let step = 0; step < 40; step += 1) await wait(REFRESH_MAX_MS / 4); // ten maximal waits
    const after = syncCalls(calls).length;
    expect(after).toBeGreaterThan(10);
    expect(after).toBeLessThan(20);
  });
});
