import { fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { SyncLogDetail, SyncStatus } from "../api/types";
import { emptyPage, fakeFetch, renderAs, syncLog, type FakeCall } from "../test/helpers";
import { SyncLogPage } from "./SyncLogPage";

const QUARANTINED = [
  { id: 1, external_id: "cus_9", error: "price: cannot convert 'n/a' to decimal", page: 2 },
  { id: 2, external_id: "cus_10", error: "price: cannot convert 'n/a' to decimal", page: 2 },
  { id: 3, external_id: "cus_11", error: "id is required", page: 3 },
].map((item) => ({ ...item, sync_log: 5, connector: 7, raw_payload: { id: item.external_id, price: "n/a" }, created_at: "2026-11-27T10:00:00Z" }));

function api(status: SyncStatus, extra: Partial<SyncLogDetail> = {}, overrides: (call: FakeCall) => { status?: number; body?: unknown } | null = () => null) {
  return fakeFetch((call) => {
    const special = overrides(call);
    if (special) return special;
    if (call.url === "/api/demo-extension/sync-logs/5/") {
      return {
        body: syncLog({
          status,
          records_failed: 3,
          error_message: status === "FAILED" ? "Fetching page 3 failed: HTTP 500" : "",
          events: [
            { id: 1, at: "2026-11-27T10:00:00.125Z", level: "info", message: "Sync started." },
            { id: 2, at: "2026-11-27T10:00:01.500Z", level: "error", message: "Fetching page 3 failed: HTTP 500" },
          ],
          ...extra,
        }),
      };
    }
    if (call.url.startsWith("/api/demo-extension/sync-logs/5/errors/")) {
      return { body: { ...emptyPage, count: QUARANTINED.length, results: QUARANTINED } };
    }
    if (call.url.startsWith("/api/demo-extension/connectors/7/sync_history/")) {
      return { body: { ...emptyPage, count: 1, results: [syncLog({ status })] } }; // this run is the latest
    }
    return { body: emptyPage };
  });
}

const renderPage = (role: "viewer" | "editor" | "admin") => renderAs(role, <SyncLogPage />, "/sync-logs/5", "/sync-logs/:id");

describe("the sync page", () => {
  it("shows a SUCCESS with warnings as such, listing them outside the collapsed log", async () => {
    const warning = "No record of the first page has the primary key 'user_id', so records are keyed by a hash of their content.";
    api("SUCCESS", { warnings: [warning], warnings_count: 1 });
    renderPage("viewer");
    expect((await screen.findByTestId("warnings-marker")).textContent).toBe("1 warning");
    const banner = screen.getByTestId("run-warnings");
    expect(banner.textContent).toContain("This run ended SUCCESS with 1 warning");
    expect(within(banner).getByText(warning)).toBeTruthy();
  });

  it("labels each figure and time of the run once: the records created and the time it was queued", async () => {
    api("SUCCESS", { records_created: 45, created_at: "2026-11-27T09:59:59Z" });
    renderPage("viewer");
    await screen.findByText("Progress");
    const labels = Array.from(document.querySelectorAll("dl dt")).map((dt) => dt.textContent);
    expect(labels.filter((label) => label === "Created")).toHaveLength(1);
    const queued = Array.from(document.querySelectorAll("dl dt")).find((dt) => dt.textContent === "Queued");
    expect(queued?.nextElementSibling?.textContent).toContain("27 Nov 2026, 09:59:59 UTC");
  });

  it("lists the run's schema changes, marking a field that took another type", async () => {
    api("SUCCESS", {
      warnings_count: 1,
      schema_changes: [
        { path: "address", change: "added", before: [], after: ["object"] },
        { path: "age", change: "types", before: ["integer"], after: ["integer", "string"] },
        { path: "nickname", change: "types", before: ["string"], after: ["null", "string"] },
        { path: "seen", change: "formats", before: ["timestamp"], after: [] },
      ],
    });
    renderPage("viewer");
    const section = (await screen.findByRole("heading", { name: "Schema changes" })).closest("section")!;
    const items = within(section).getAllByRole("listitem").map((item) => item.textContent);
    expect(items).toEqual([
      "address: new (object)",
      "age: integer → integer, string (another type: check the columns and readers that use it)",
      "nickname: string → null, string",
      "seen: no longer always string (date-time): now any string (another type: check the columns and readers that use it)",
    ]);
  });

  it("counts the records a full refresh marked deleted", async () => {
    api("SUCCESS", { full_refresh: true, records_deleted: 3 });
    renderPage("viewer");
    const counter = (await screen.findByText("Deleted")).parentElement!;
    expect(counter.textContent).toContain("3");
  });

  it("says a full refresh was allowed to be empty", async () => {
    api("SUCCESS", { full_refresh: true, allow_empty: true, records_deleted: 30, triggered_by: "ui" });
    renderPage("viewer");
    const triggered = (await screen.findByText("Triggered by")).nextElementSibling!;
    expect(triggered.textContent).toBe("Web UI (full refresh, allowed to be empty)");
  });

  it("shows no warnings marker for a clean run", async () => {
    api("SUCCESS", { warnings: [], warnings_count: 0 });
    renderPage("viewer");
    await screen.findByText("SUCCESS");
    expect(screen.queryByTestId("warnings-marker")).toBeNull();
    expect(screen.queryByTestId("run-warnings")).toBeNull();
    expect(screen.queryByRole("heading", { name: "Schema changes" })).toBeNull();
  });

  it("shows a finished run's duration once, as its elapsed time", async () => {
    api("SUCCESS", { duration_seconds: 4.2, started_at: "2026-11-27T10:00:00Z" });
    renderPage("viewer");
    expect(await screen.findByTestId("elapsed")).toHaveProperty("textContent", "4.2 s");
    expect(screen.getAllByText("4.2 s")).toHaveLength(1);
    expect(screen.queryByText("Duration")).toBeNull();
  });

  it("shows when a resumed run went on, beside its first start", async () => {
    api("SUCCESS", { duration_seconds: 9.9, started_at: "2026-11-27T10:00:00Z", resumed_at: "2026-11-27T11:00:00Z" });
    renderPage("viewer");
    const resumed = await screen.findByText("Resumed");
    expect(resumed.nextElementSibling?.textContent).toBeTruthy();
    expect(screen.getByText("Started")).toBeTruthy();
  });

  it("lists the run's details in the list a phone shows a row each (styles.css: .run-details)", async () => {
    api("SUCCESS");
    renderPage("viewer");
    const pagination = await screen.findByText("Pagination");
    expect(pagination.closest("dl")?.classList.contains("run-details")).toBe(true);
    expect(screen.getByText("Triggered by").closest("dl")).toBe(pagination.closest("dl"));
  });

  it("shows no resume time for a run that ran in one go", async () => {
    api("SUCCESS", { duration_seconds: 4.2, started_at: "2026-11-27T10:00:00Z" });
    renderPage("viewer");
    expect(await screen.findByText("Started")).toBeTruthy();
    expect(screen.queryByText("Resumed")).toBeNull();
  });

  it("shows a failed sync's error, its log lines from the detail and its quarantine, in 2 calls", async () => {
    const calls = api("FAILED");
    renderPage("viewer");
    expect(await screen.findByRole("heading", { name: "Run #5" })).toBeTruthy();
    expect(await screen.findByText("price: cannot convert 'n/a' to decimal")).toBeTruthy();
    expect(screen.getAllByText("Fetching page 3 failed: HTTP 500").length).toBeGreaterThanOrEqual(2);
    expect(screen.queryByRole("button", { name: /Resume/ })).toBeNull(); // a viewer only reads
    expect(screen.queryByRole("button", { name: "Start a new sync" })).toBeNull();
    // the detail already carries the log lines: no events/ call, and the quarantine once
    expect(calls.map((c) => c.url.split("?")[0])).toEqual(["/api/demo-extension/sync-logs/5/", "/api/demo-extension/sync-logs/5/errors/"]);
  });

  it("puts a failed run's error before its warnings, which it does not ask to read before trusting data it did not store", async () => {
    const warning = "No record of the first page has the primary key 'id'";
    api("FAILED", { error_message: "Fetching page 2 failed: HTTP 500 after 5 attempts", warnings: [warning], warnings_count: 1 });
    renderPage("viewer");
    const error = await screen.findByRole("alert");
    const warnings = screen.getByTestId("run-warnings");
    expect(error.compareDocumentPosition(warnings) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(warnings.textContent).toContain("This run ended FAILED with 1 warning:");
    expect(warnings.textContent).not.toContain("before trusting its data");
  });

  it("says a failed run's retries as retries, not as warnings beside its error", async () => {
    const retry = "Page 1: HTTP 503 from http://127.0.0.1:8001/users (attempt 1 of 5); retrying in 0.1 s";
    api("FAILED", {
      error_message: "Fetching page 1 failed: HTTP 503 from http://127.0.0.1:8001/users after 5 attempts",
      warnings: [],
      warnings_count: 0,
      retries: 4,
      events: [{ id: 3, at: "2026-11-27T10:00:01.000Z", level: "warning", message: retry }],
    });
    renderPage("viewer");
    expect((await screen.findByTestId("retries-marker")).textContent).toBe("4 requests retried");
    expect(screen.queryByTestId("warnings-marker")).toBeNull();
    expect(screen.queryByTestId("run-warnings")).toBeNull();
    const counter = screen.getByText("Retried requests").parentElement;
    expect(counter?.querySelector("dd")?.textContent).toBe("4");
    expect(screen.queryByText("Waited for rate limit")).toBeNull(); // none: no counter of 0
    expect(screen.getByText("Run attempts")).toBeTruthy(); // the run's starts, not the requests' attempts
  });

  it("counts the time a run's requests waited for the API's rate limit among its counters", async () => {
    api("SUCCESS", { duration_seconds: 150, rate_limit_wait_seconds: 124.6, retries: 2 });
    renderPage("viewer");
    const counter = (await screen.findByText("Waited for rate limit")).parentElement;
    expect(counter?.querySelector("dd")?.textContent).toBe("2 min 5 s");
  });

  it.each([
    ["Fetching page 1 failed: HTTP 401 from https://api.example.com/customers (the API says: 'Invalid key') after 1 attempt", "Check the API key and the authentication type."],
    ["Fetching page 1 failed: HTTP 404 from https://api.example.com/customer after 1 attempt", "Check the endpoint's path: the API has nothing at this address."],
    ["records_path 'results.items' was not found in the response from https://api.example.com/customers (top-level keys: data, page).", /records path/],
  ])("says what to do about a failed sync's error (%s)", async (error_message, hint) => {
    api("FAILED", { error_message });
    renderPage("viewer");
    const banner = await screen.findByRole("alert");
    expect(within(banner).getByText(hint)).toBeTruthy();
  });

  it("adds no advice to an error it cannot place", async () => {
    api("FAILED", { error_message: "Stopped before page 4: max_requests_per_sync (3) reached." });
    renderPage("viewer");
    const banner = await screen.findByRole("alert");
    expect(banner.querySelector(".hint")).toBeNull();
  });

  it("groups the quarantined records by error, largest group first", async () => {
    api("PARTIAL");
    renderPage("viewer");
    const groups = await screen.findAllByText(/cannot convert|is required/, { selector: ".error-group summary .error-text" });
    expect(groups.map((g) => g.textContent)).toEqual(["price: cannot convert 'n/a' to decimal", "id is required"]);
    const first = groups[0]!.closest("details")!;
    expect(first.querySelector("summary .badge")?.textContent).toBe("2");
    expect(within(first).getAllByRole("row")).toHaveLength(3); // header + 2 records
  });

  it("groups conversion errors of one field and type together, whatever the value, showing each value in its row", async () => {
    const items = [
      { id: 1, external_id: "1", error: "Field 'score': cannot convert 118.61 to int.", page: 1 },
      { id: 2, external_id: "2", error: "Field 'score': cannot convert 179.45 to int.", page: 1 },
      { id: 3, external_id: "3", error: "Field 'score': cannot convert 118.61 to int.", page: 2 },
      { id: 4, external_id: "4", error: "Field 'joined': cannot convert \"soon\" to datetime.", page: 2 },
    ].map((item) => ({ ...item, sync_log: 5, connector: 7, raw_payload: {}, created_at: "2026-11-27T10:00:00Z" }));
    api("PARTIAL", { records_failed: 4 }, (call) =>
      call.url.startsWith("/api/demo-extension/sync-logs/5/errors/") ? { body: { ...emptyPage, count: items.length, results: items } } : null,
    );
    renderPage("viewer");
    const groups = await screen.findAllByText(/cannot convert/, { selector: ".error-group summary .error-text" });
    expect(groups.map((g) => g.textContent)).toEqual(["Field 'score': cannot convert … to int.", "Field 'joined': cannot convert … to datetime."]);
    const first = groups[0]!.closest("details")!;
    expect(first.querySelector("summary .badge")?.textContent).toBe("3");
    expect(within(first).getByRole("columnheader", { name: "Error" })).toBeTruthy();
    expect(within(first).getByText("Field 'score': cannot convert 179.45 to int.")).toBeTruthy();
    // one message only: no Error column
    expect(within(groups[1]!.closest("details")!).queryByRole("columnheader", { name: "Error" })).toBeNull();
  });

  it("shows log times to the millisecond and filters the log by level", async () => {
    api("FAILED");
    renderPage("viewer");
    await screen.findByRole("heading", { name: "Progress" }); // the run's page, not its loading page (which has its heading)
    const log = screen.getByRole("list", { name: "Log of run #5" });
    expect(within(log).getAllByText(/\d\d:\d\d:\d\d\.\d{3}/)).toHaveLength(2);
    expect(within(log).getAllByText(/\.125 /)).toHaveLength(1);
    fireEvent.change(screen.getByLabelText("Log of run #5: level"), { target: { value: "error" } });
    expect(within(screen.getByRole("list", { name: "Log of run #5" })).getAllByRole("listitem")).toHaveLength(1);
    expect(screen.getByText("1 of 2 lines")).toBeTruthy();
  });

  it("offers Resume only when the API says the sync can resume", async () => {
    const calls = api("FAILED", { can_resume: true });
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Resume from the checkpoint" }));
    await waitUntil(() => calls.some((c) => c.method === "POST"));
    expect(calls.find((c) => c.method === "POST")?.url).toBe("/api/demo-extension/sync-logs/5/resume/?wait=0");
  });

  it("offers a new sync instead of Resume when the sync cannot resume", async () => {
    const calls = api("FAILED", { can_resume: false }, (call) =>
      call.url.includes("/sync_data/") ? { status: 202, body: syncLog({ id: 6, status: "PENDING" }) } : null,
    );
    renderAs("editor", <SyncLogPage />, "/sync-logs/5", "/sync-logs/:id");
    expect(await screen.findByText(/This sync cannot be resumed/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Resume/ })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Start a new sync" }));
    await waitUntil(() => calls.some((c) => c.method === "POST"));
    expect(calls.find((c) => c.method === "POST")?.url).toBe("/api/demo-extension/connectors/7/sync_data/?wait=0&trigger=ui");
  });

  const REFUSAL =
    "The full refresh read every page and got no records, while 30 are stored: none was marked deleted. An empty answer is " +
    "more often an error the API answered as a success (an expired key, a wrong endpoint or filter) than an emptied source.";
  const EMPTY_ACTION = "The source really is empty: run a full refresh that marks every stored record deleted";

  it("offers a full refresh allowed to be empty on a run refused for getting no records, once confirmed", async () => {
    const started = syncLog({ id: 6, status: "PENDING", full_refresh: true, allow_empty: true });
    const calls = api("FAILED", { full_refresh: true, refused_as_empty: true, error_message: REFUSAL }, (call) => {
      if (call.url.includes("/sync_data/")) return { status: 202, body: started };
      return call.url === "/api/demo-extension/sync-logs/6/" ? { body: started } : null;
    });
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: EMPTY_ACTION }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog.textContent).toMatch(/every record stored for this connector is marked deleted/);
    expect(calls.some((c) => c.method === "POST")).toBe(false); // nothing before the confirmation
    fireEvent.click(within(dialog).getByRole("button", { name: "Run it and mark every record deleted" }));
    await waitUntil(() => calls.some((c) => c.method === "POST"));
    expect(calls.filter((c) => c.method === "POST").map((c) => c.url)).toEqual([
      "/api/demo-extension/connectors/7/sync_data/?wait=0&trigger=ui&full_refresh=true&allow_empty=true",
    ]);
    expect(await screen.findByRole("heading", { name: "Run #6" })).toBeTruthy(); // the new run's page
  });

  it("lets the empty full refresh's long label wrap, so a phone does not scroll sideways", async () => {
    api("FAILED", { full_refresh: true, refused_as_empty: true, error_message: REFUSAL });
    renderPage("editor");
    const button = await screen.findByRole("button", { name: EMPTY_ACTION });
    expect(button.className.split(" ")).toContain("btn-wrap");
  });

  it("offers no empty full refresh once a newer run of the connector exists", async () => {
    const calls = api(
      "FAILED",
      { full_refresh: true, refused_as_empty: true, error_message: REFUSAL, can_resume: false, cannot_resume_reason: "A newer sync of this connector exists; start a new sync instead." },
      (call) =>
        call.url.startsWith("/api/demo-extension/connectors/7/sync_history/")
          ? { body: { ...emptyPage, count: 2, results: [syncLog({ id: 6, status: "SUCCESS", full_refresh: true, allow_empty: true })] } }
          : null,
    );
    renderPage("editor");
    await screen.findByText(/A newer sync of this connector exists/);
    await waitUntil(() => calls.some((c) => c.url.includes("/sync_history/")));
    await new Promise((resolve) => setTimeout(resolve, 20)); // the answer is in
    expect(calls.find((c) => c.url.includes("/sync_history/"))?.url).toContain("page_size=1");
    expect(screen.queryByRole("button", { name: EMPTY_ACTION })).toBeNull();
    expect(screen.getByRole("button", { name: "Start a new sync" })).toBeTruthy();
  });

  it("starts nothing when the user cancels the empty full refresh", async () => {
    const calls = api("FAILED", { full_refresh: true, refused_as_empty: true, error_message: REFUSAL });
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: EMPTY_ACTION }));
    fireEvent.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });

  it.each([
    ["another failure", "FAILED" as const, { full_refresh: true }],
    ["a successful full refresh", "SUCCESS" as const, { full_refresh: true, error_message: "" }],
  ])("offers no empty full refresh on %s", async (_, status, extra) => {
    api(status, extra);
    renderPage("editor");
    await screen.findByRole("heading", { name: "Progress" }); // the run's page, not its loading page (which has its heading)
    expect(screen.queryByRole("button", { name: EMPTY_ACTION })).toBeNull();
  });

  it("offers a viewer no empty full refresh", async () => {
    api("FAILED", { full_refresh: true, refused_as_empty: true, error_message: REFUSAL });
    renderPage("viewer");
    expect(await screen.findByText(REFUSAL, { exact: false })).toBeTruthy();
    expect(screen.queryByRole("button", { name: EMPTY_ACTION })).toBeNull();
  });

  it("says why a sync cannot resume, in the API's words", async () => {
    api("FAILED", { can_resume: false, cannot_resume_reason: "A newer sync of this connector exists; start a new sync instead." });
    renderPage("editor");
    const reason = await screen.findByText("A newer sync of this connector exists; start a new sync instead.", { exact: false });
    expect(reason.textContent).toBe("Cannot resume: A newer sync of this connector exists; start a new sync instead.");
  });

  it("says what stopped a failed run before why it cannot resume", async () => {
    api("FAILED", { can_resume: false, cannot_resume_reason: "This sync has no checkpoint to resume from; start a new sync instead.", error_message: "Fetching page 1 failed: HTTP 500 from http://api.example.com/users after 5 attempts" });
    renderPage("editor");
    const note = (await screen.findByText("Cannot resume:")).closest("p")!;
    const error = screen.getByRole("alert");
    expect(error.textContent).toContain("Error: Fetching page 1 failed");
    expect(error.compareDocumentPosition(note) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("shows that a running sync waits for the API's rate limit, and for how long", async () => {
    api("RUNNING", { requests_paused_for: 12.3 });
    renderPage("viewer");
    const pause = await screen.findByTestId("rate-limit-pause");
    expect(pause.getAttribute("role")).toBe("status");
    expect(pause.textContent).toContain("paused for another 13\u00a0s"); // the number and its unit never split across lines
  });

  it("shows no pause for a running sync whose connector is not paused", async () => {
    api("RUNNING", { requests_paused_for: 0 });
    renderPage("viewer");
    await screen.findByRole("heading", { name: "Progress" }); // the run's page, not its loading page (which has its heading)
    expect(screen.queryByTestId("rate-limit-pause")).toBeNull();
  });

  it("lets an editor cancel a running sync", async () => {
    const calls = api("RUNNING");
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Cancel sync" }));
    const dialog = await screen.findByRole("alertdialog", { name: /^Cancel run #5/ });
    expect(dialog.textContent).toContain("Records already committed stay stored");
    expect(calls.some((c) => c.method === "POST")).toBe(false);
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel the sync" }));
    expect(screen.queryByRole("button", { name: /Resume/ })).toBeNull();
    await waitUntil(() => calls.some((c) => c.method === "POST"));
    expect(calls.find((c) => c.method === "POST")?.url).toBe("/api/demo-extension/sync-logs/5/cancel/");
  });

  it("gives the run's status the focus when the run ends under a keyboard user's Cancel sync, which goes with it", async () => {
    let status: SyncStatus = "RUNNING";
    api("RUNNING", {}, (call) => (call.url === "/api/demo-extension/sync-logs/5/" ? { body: syncLog({ status }) } : null));
    renderPage("editor");
    const cancel = await screen.findByRole("button", { name: "Cancel sync" });
    cancel.focus();
    status = "SUCCESS";
    await screen.findByRole("button", { name: "Start a new sync" }, { timeout: 10_000 });
    expect(screen.queryByRole("button", { name: "Cancel sync" })).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole("heading", { name: "Run #5" }).parentElement);
  });

  it("says which run does not exist (another tenant's, or deleted) and links the syncs", async () => {
    fakeFetch(() => ({ status: 404, body: { detail: "Not found." } }));
    renderPage("admin");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Sync run #5 does not exist in this tenant, or was deleted.");
    expect(within(alert).getByRole("link", { name: "← All syncs" }).getAttribute("href")).toBe("/syncs");
  });

  it("shows the page-not-found page for an address that is no sync id", async () => {
    fakeFetch(() => ({ body: emptyPage }));
    renderAs("viewer", <SyncLogPage />, "/sync-logs/x1", "/sync-logs/:id");
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeTruthy();
  });
});

async function waitUntil(condition: () => boolean) {
  await vi.waitFor(() => {
    if (!condition()) throw new Error("not yet");
  });
}
