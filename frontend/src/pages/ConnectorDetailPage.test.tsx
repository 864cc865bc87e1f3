import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";

import { AnnouncerProvider } from "../announce";
import { AuthContext } from "../auth";
import { connector, emptyPage, fakeFetch, holdAnswers, me, previewBody, renderAs, syncLog, type FakeCall } from "../test/helpers";
import { POLL_INTERVAL_MS } from "../hooks";
import { ConnectorDetailPage } from "./ConnectorDetailPage";
import { PAGINATION_KEYS, paginationSummary } from "../components/connectorConfig";

afterEach(() => {
  vi.useRealTimers();
});

function api(overrides: (call: FakeCall) => { status?: number; body?: unknown } | null = () => null) {
  return fakeFetch((call) => {
    const special = overrides(call);
    if (special) return special;
    if (call.url === "/api/demo-extension/connectors/7/") return { body: connector() };
    if (call.url.startsWith("/api/demo-extension/sync-logs/")) return { body: syncLog({ status: "SUCCESS", records_processed: 3 }) };
    return { body: emptyPage };
  });
}

const renderPage = (role: "viewer" | "editor" | "admin") =>
  renderAs(role, <ConnectorDetailPage />, "/connectors/7", "/connectors/:id", { before: ["/connectors"] });

/** Open the edit form and change the name: an unsaved edit. */
async function editName() {
  fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
  const form = screen.getByRole("form", { name: "Edit connector" });
  fireEvent.change(within(form).getByLabelText("Name"), { target: { value: "Changed" } });
  return form;
}

/** The text of the history's cell in `row` (1: the newest run) under the column named `column`. */
function historyCell(table: HTMLElement, column: string, row = 1): string | null {
  const index = within(table).getAllByRole("columnheader").indexOf(within(table).getByRole("columnheader", { name: column }));
  return within(within(table).getAllByRole("row")[row]!).getAllByRole("cell")[index]?.textContent ?? null;
}

describe("the connector page", () => {
  it("shows the last sync's warnings in a banner and beside its status, linking the run", async () => {
    const warning = "No record of the first page has the primary key 'user_id', so records are keyed by a hash of their content.";
    api((call) =>
      call.url === "/api/demo-extension/connectors/7/"
        ? { body: connector({ last_sync_status: "SUCCESS", last_sync_log_id: 12, last_sync_warnings: [warning], warnings: [`The last sync (#12, SUCCESS) warned: ${warning}`] }) }
        : null,
    );
    renderPage("viewer");
    const banner = await screen.findByTestId("run-warnings");
    expect(banner.textContent).toContain("ended SUCCESS with 1 warning");
    expect(within(banner).getByText(warning)).toBeTruthy();
    expect(within(banner).getByRole("link", { name: "run #12" }).getAttribute("href")).toBe("/sync-logs/12");
    expect(screen.getAllByTestId("warnings-marker").map((marker) => marker.textContent)).toContain("1 warning");
  });

  it("says why the last sync failed above its warnings, with what to do, linking the run", async () => {
    const error = "Fetching page 1 failed: Could not connect to http://127.0.0.1:8001/users after 5 attempts";
    const retry = "Page 1: Could not connect to http://127.0.0.1:8001/users (attempt 1 of 5); retrying in 0.4 s";
    api((call) =>
      call.url === "/api/demo-extension/connectors/7/"
        ? { body: connector({ last_sync_status: "FAILED", last_sync_log_id: 12, last_sync_warnings: [retry], last_sync_error: error }) }
        : null,
    );
    renderPage("viewer");
    const banner = await screen.findByTestId("last-sync-error");
    expect(banner.textContent).toContain(`The last sync, run #12, ended FAILED: ${error}`);
    expect(within(banner).getByRole("link", { name: "run #12" }).getAttribute("href")).toBe("/sync-logs/12");
    expect(within(banner).getByText("Nothing accepted the connection: check the endpoint's host and port, and that the API is running.")).toBeTruthy();
    const warnings = screen.getByTestId("run-warnings");
    expect(banner.compareDocumentPosition(warnings) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(within(warnings).getByText("Its 1 warning:")).toBeTruthy();
  });

  it("says a failed sync's error once: in the progress panel of the run it follows, not again in the last-sync banner", async () => {
    const error = "Fetching page 1 failed: HTTP 500 from http://127.0.0.1:8001/users (the API says: 'internal') after 5 attempts";
    let synced = false;
    api((call) => {
      if (call.url.includes("/sync_data/")) {
        synced = true;
        return { status: 202, body: syncLog({ id: 9, status: "PENDING" }) };
      }
      if (call.url === "/api/demo-extension/sync-logs/9/") return { body: syncLog({ id: 9, status: "FAILED", error_message: error }) };
      if (call.url === "/api/demo-extension/connectors/7/")
        return { body: synced ? connector({ last_sync_status: "FAILED", last_sync_log_id: 9, last_sync_error: error }) : connector({ last_sync_status: "FAILED", last_sync_log_id: 8, last_sync_error: "An older error." }) };
      return null;
    });
    renderPage("editor");
    // the run before, not followed here: its banner says why it failed
    expect((await screen.findByTestId("last-sync-error")).textContent).toContain("run #8, ended FAILED: An older error.");
    fireEvent.click(screen.getByRole("button", { name: "Sync now" }));
    const progress = await screen.findByTestId("sync-progress");
    expect(await within(progress).findByText(error)).toBeTruthy();
    await vi.waitFor(() => expect(screen.queryByText(/An older error/)).toBeNull());
    expect(screen.queryByTestId("last-sync-error")).toBeNull();
    // (the sync history lists the run, under its row its error as under every failed run's: not a banner)
    const saidOutsideHistory = screen
      .getAllByText((_, element) => element?.children.length === 0 && (element.textContent ?? "").includes("HTTP 500 from"))
      .filter((element) => !element.closest("table"));
    expect(saidOutsideHistory).toHaveLength(1);
    expect(screen.getAllByText("The API failed on its side, not because of these settings: try again later.")).toHaveLength(1);
  });

  it("says never synced for a connector without a sync, with no dash for a time it does not have", async () => {
    api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector({ last_sync_status: null, last_sync_at: null }) } : null));
    renderPage("viewer");
    await vi.waitFor(() => expect(screen.getByText("Last sync").closest("div")?.textContent).toBe("Last syncNEVER SYNCED"));
  });

  it("says a first sync is under way in the details, with the records and pages read so far, not NEVER SYNCED and 0", async () => {
    let reads = 0;
    api((call) => {
      if (call.url === "/api/demo-extension/connectors/7/") return { body: connector({ last_sync_status: null, last_sync_at: null, records_count: 0 }) };
      if (call.url.includes("/sync_data/")) return { status: 202, body: syncLog({ id: 9, status: "PENDING" }) };
      if (call.url === "/api/demo-extension/sync-logs/9/") {
        reads += 1;
        return { body: syncLog({ id: 9, status: "RUNNING", records_processed: 150, pages_fetched: 3, records_total: 500 }) };
      }
      return null;
    });
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Sync now" }));
    await vi.waitFor(() => expect(reads).toBeGreaterThan(0));
    const lastSync = () => screen.getByText("Last sync").closest("div")!;
    const records = () => within(screen.getByRole("heading", { name: "Details" }).closest("section")!).getByText("Records", { selector: "dt" }).closest("div")!;
    await vi.waitFor(() => expect(records().textContent).toBe("Records150 of 500 records read so far · 3 pages"));
    expect(lastSync().textContent).toBe("Last syncSYNCING the first sync, run #9");
    expect(within(lastSync()).getByRole("link", { name: "run #9" }).getAttribute("href")).toBe("/sync-logs/9");
    expect(lastSync().textContent).not.toContain("NEVER SYNCED");
  });

  it("shows the followed first sync's end in the details while the connector is read again, not NEVER SYNCED", async () => {
    let ended = false;
    let releaseConnector = () => {};
    api((call) => {
      if (call.url === "/api/demo-extension/connectors/7/") return { body: connector({ last_sync_status: null, last_sync_at: null, records_count: 0 }) };
      if (call.url.includes("/sync_data/")) return { status: 202, body: syncLog({ id: 9, status: "PENDING" }) };
      if (call.url === "/api/demo-extension/sync-logs/9/") return { body: syncLog({ id: 9, status: ended ? "SUCCESS" : "RUNNING", records_processed: 20, pages_fetched: 1 }) };
      return null;
    });
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Sync now" }));
    const lastSync = () => screen.getByText("Last sync").closest("div")!;
    await vi.waitFor(() => expect(lastSync().textContent).toContain("SYNCING"));
    // the connector's read after the end is slow: the details say how the run ended meanwhile
    const answer = globalThis.fetch;
    vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
      if (String(input) === "/api/demo-extension/connectors/7/") await new Promise<void>((resolve) => (releaseConnector = resolve));
      return answer(input, init);
    });
    ended = true;
    await within(screen.getByTestId("sync-progress")).findByText("SUCCESS", {}, { timeout: 5000 });
    expect(lastSync().textContent).toBe("Last syncSUCCESS");
    releaseConnector();
  });

  it("never says No syncs yet once Sync now is pressed: the start, then the run, before the history is read again", async () => {
    api((call) => {
      if (call.url === "/api/demo-extension/connectors/7/") return { body: connector({ last_sync_status: null, last_sync_at: null, records_count: 0 }) };
      if (call.url.includes("/sync_data/")) return { status: 202, body: syncLog({ id: 9, status: "PENDING", started_at: null }) };
      if (call.url === "/api/demo-extension/sync-logs/9/") return { body: syncLog({ id: 9, status: "RUNNING", records_processed: 20, pages_fetched: 1 }) };
      return null;
    });
    renderPage("editor");
    const history = (await screen.findByRole("heading", { name: "Sync history" })).closest("section")!;
    await within(history).findByText("No syncs yet.");
    // from now on: the start answers when the test says so, the run's first read too, and the
    // history's reads never (a slow server)
    const gates = { start: () => {}, run: () => {} };
    const opened = { start: new Promise<void>((resolve) => (gates.start = resolve)), run: new Promise<void>((resolve) => (gates.run = resolve)) };
    const answer = globalThis.fetch;
    vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      if (url.includes("/sync_data/")) await opened.start;
      if (url === "/api/demo-extension/sync-logs/9/") await opened.run;
      if (url.includes("/sync_history/")) await new Promise(() => {});
      return answer(input, init);
    });
    fireEvent.click(screen.getByRole("button", { name: "Sync now" }));
    expect(within(history).queryByText("No syncs yet.")).toBeNull();
    expect(within(history).getByTestId("history-starting").textContent).toBe("Starting a sync…");
    gates.start();
    const table = await within(history).findByRole("table", { name: "Sync history" });
    expect(historyCell(table, "Run")).toBe("#9");
    expect(historyCell(table, "Status")).toBe("PENDING");
    expect(within(history).getByText("1 sync")).toBeTruthy();
    gates.run();
    await vi.waitFor(() => expect(historyCell(table, "Status")).toBe("RUNNING"));
    expect(within(history).queryByText("No syncs yet.")).toBeNull();
  });

  it("charts a running sync as the history shows it, not as the history's read at its start", async () => {
    let started = false;
    api((call) => {
      if (call.url.includes("/sync_data/")) {
        started = true;
        return { status: 202, body: syncLog({ id: 9, status: "PENDING", started_at: null, records_processed: 0 }) };
      }
      // the history read when the sync started, and never again while it runs
      if (call.url.includes("/sync_history/"))
        return { body: started ? { count: 1, next: null, previous: null, results: [syncLog({ id: 9, status: "PENDING", records_processed: 0 })] } : emptyPage };
      if (call.url === "/api/demo-extension/sync-logs/9/") return { body: syncLog({ id: 9, status: "RUNNING", records_processed: 150, pages_fetched: 3 }) };
      return null;
    });
    renderPage("editor");
    const history = (await screen.findByRole("heading", { name: "Sync history" })).closest("section")!;
    await within(history).findByText("No syncs yet.");
    fireEvent.click(screen.getByRole("button", { name: "Sync now" }));
    const table = await within(history).findByRole("table", { name: "Sync history" });
    await vi.waitFor(() => expect(historyCell(table, "Status")).toBe("RUNNING"));
    const legend = screen.getByRole("list", { name: "Status colours" });
    expect(within(legend).getAllByRole("listitem").map((item) => item.textContent)).toEqual(["RUNNING"]);
    expect(within(screen.getByTestId("chart-records")).getByText("150")).toBeTruthy();
  });

  it("says while a first sync runs that it stores the records and infers the schema, not to sync the connector", async () => {
    api((call) => {
      if (call.url === "/api/demo-extension/connectors/7/") return { body: connector({ last_sync_status: null, last_sync_at: null, records_count: 0 }) };
      if (call.url.includes("/sync_data/")) return { status: 202, body: syncLog({ id: 9, status: "PENDING" }) };
      if (call.url === "/api/demo-extension/sync-logs/9/") return { body: syncLog({ id: 9, status: "RUNNING", records_processed: 20, pages_fetched: 1 }) };
      if (call.url === "/api/demo-extension/connectors/7/schema/") return { body: { connector: 7, fields: [], truncated: false, updated_at: null } };
      return null;
    });
    renderPage("editor");
    expect(await screen.findByText("No records yet: sync the connector.")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Sync now" }));
    expect(await screen.findByText("No records yet: the sync under way stores them page by page.")).toBeTruthy();
    expect(screen.queryByText("No records yet: sync the connector.")).toBeNull();
    fireEvent.click(screen.getByRole("tab", { name: "Schema" }));
    expect(await screen.findByText("Not inferred yet: the sync under way infers it from the records it stores.")).toBeTruthy();
    expect(screen.queryByText("Not inferred yet: sync the connector.")).toBeNull();
  });

  it("keeps the last sync's status and stored count while another sync runs, saying it runs and what it read", async () => {
    api((call) => {
      if (call.url === "/api/demo-extension/connectors/7/")
        return { body: connector({ last_sync_status: "SUCCESS", last_sync_at: "2026-11-27T09:00:00Z", last_sync_log_id: 8, records_count: 500 }) };
      if (call.url.includes("/sync_data/")) return { status: 202, body: syncLog({ id: 9, status: "PENDING" }) };
      if (call.url === "/api/demo-extension/sync-logs/9/") return { body: syncLog({ id: 9, status: "RUNNING", records_processed: 1, pages_fetched: 1 }) };
      return null;
    });
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Sync now" }));
    const records = () => within(screen.getByRole("heading", { name: "Details" }).closest("section")!).getByText("Records", { selector: "dt" }).closest("div")!;
    await vi.waitFor(() => expect(records().textContent).toBe("Records500 · syncing: 1 record read so far · 1 page"));
    const lastSync = screen.getByText("Last sync").closest("div")!;
    expect(lastSync.textContent).toContain("SUCCESS");
    expect(within(lastSync).getByTestId("details-syncing").textContent).toBe("SYNCING now, run #9");
  });

  it("shows no last-sync error for a run that ended without one", async () => {
    api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector({ last_sync_status: "SUCCESS", last_sync_log_id: 12, last_sync_error: "" }) } : null));
    renderPage("viewer");
    expect(await screen.findByRole("heading", { name: "Customer <b>API</b>" })).toBeTruthy();
    expect(screen.queryByTestId("last-sync-error")).toBeNull();
  });

  it("shows a viewer the details without any write button", async () => {
    api();
    renderPage("viewer");
    expect(await screen.findByRole("heading", { name: "Customer <b>API</b>" })).toBeTruthy();
    expect(screen.getByText("stored (…9xyz)")).toBeTruthy();
    for (const name of ["Test connection", "Sync now", "Full refresh", "Edit", "Delete"]) {
      expect(screen.queryByRole("button", { name })).toBeNull();
    }
  });

  it("shows every count of a run in the history's Records cell, so created + updated + unchanged + failed add up", async () => {
    const run = syncLog({ id: 41, status: "SUCCESS", records_processed: 500, records_created: 0, records_updated: 2, records_unchanged: 497, records_failed: 1 });
    api((call) => (call.url.startsWith("/api/demo-extension/connectors/7/sync_history/") ? { body: { ...emptyPage, count: 1, results: [run] } } : null));
    renderPage("viewer");
    const table = await screen.findByRole("table", { name: "Sync history" });
    expect(historyCell(table, "Records")).toBe("2 updated · 497 unchanged · 1 quarantined");
  });

  it("shows the records a full refresh marked deleted in the history, so that run does not read as a no-op", async () => {
    const run = syncLog({ id: 3, status: "SUCCESS", full_refresh: true, allow_empty: true, records_processed: 0, records_deleted: 500 });
    api((call) => (call.url.startsWith("/api/demo-extension/connectors/7/sync_history/") ? { body: { ...emptyPage, count: 1, results: [run] } } : null));
    renderPage("viewer");
    const table = await screen.findByRole("table", { name: "Sync history" });
    expect(historyCell(table, "Records")).toBe("500 deleted");
  });

  it("says a connector is read by the REST source", async () => {
    api();
    renderPage("viewer");
    expect((await screen.findByText("Source")).closest("div")?.querySelector("dd")?.textContent).toBe("REST API");
  });

  it("names the source of a connector another module reads, and that the request settings do not apply", async () => {
    api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector({ source_type: "csv" }) } : null));
    renderPage("viewer");
    const source = (await screen.findByText("Source")).closest("div")?.querySelector("dd")?.textContent;
    expect(source).toMatch(/^csv \(a module's source: its settings are in that module's API; the request settings here do not apply; it is edited through its module's API\)$/);
  });

  it("offers no REST form for a connector another module reads: Edit is not shown, and the edit address says where it is edited", async () => {
    api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector({ source_type: "csv" }) } : null));
    renderPage("admin");
    await screen.findByRole("heading", { name: "Customer <b>API</b>" });
    expect(screen.queryByRole("button", { name: "Edit" })).toBeNull();
    for (const name of ["Test connection", "Sync now", "Delete"]) expect(screen.getByRole("button", { name })).toBeTruthy();
    expect(screen.queryByTestId("module-source-notice")).toBeNull();
  });

  it("shows the read-only notice instead of the REST form at a module connector's edit address", async () => {
    api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector({ source_type: "csv" }) } : null));
    renderAs("editor", <ConnectorDetailPage startEditing />, "/connectors/7/edit", "/connectors/:id/edit");
    const notice = await screen.findByTestId("module-source-notice");
    expect(notice.textContent).toContain("edited through its module's API");
    expect(notice.getAttribute("role")).toBe("status");
    expect(screen.queryByRole("form", { name: "Edit connector" })).toBeNull();
  });

  it("still opens the REST form at a REST connector's edit address", async () => {
    api();
    renderAs("editor", <ConnectorDetailPage startEditing />, "/connectors/7/edit", "/connectors/:id/edit");
    expect(await screen.findByRole("form", { name: "Edit connector" })).toBeTruthy();
    expect(screen.queryByTestId("module-source-notice")).toBeNull();
  });

  it("shows each finished run's throughput beside its duration, none for a run still going or one that stored nothing", async () => {
    const finished = syncLog({ id: 42, status: "SUCCESS", records_processed: 5000, duration_seconds: 6.7 });
    const running = syncLog({ id: 43, status: "RUNNING", records_processed: 200, duration_seconds: null });
    const failed = syncLog({ id: 41, status: "FAILED", records_processed: 0, duration_seconds: 2.9 });
    api((call) => (call.url.startsWith("/api/demo-extension/connectors/7/sync_history/") ? { body: { ...emptyPage, count: 3, results: [running, finished, failed] } } : null));
    renderPage("viewer");
    const table = await screen.findByRole("table", { name: "Sync history" });
    expect([1, 2, 3].map((row) => historyCell(table, "Records per second", row))).toEqual(["—", "746/s", "—"]);
  });

  it("warns when a field mapping matched no stored record, naming it, after a sync that ended SUCCESS", async () => {
    const rules = { field_mappings: { name: "full_name", "address.town": "town" }, include_unmapped: true };
    const schema = {
      connector: 7,
      fields: [
        { path: "full_name", parts: ["full_name"], types: ["string"], formats: [], column: true },
        { path: "address.city", parts: ["address", "city"], types: ["string"], formats: [], column: true },
      ],
      truncated: false,
      updated_at: "2026-11-27T10:00:00Z",
    };
    api((call) => {
      if (call.url === "/api/demo-extension/connectors/7/") return { body: connector({ transformation_rules: rules }) };
      if (call.url === "/api/demo-extension/connectors/7/schema/") return { body: schema };
      return null;
    });
    renderPage("viewer");
    const warning = await screen.findByTestId("unmatched-mappings");
    expect(warning.textContent).toContain("A field mapping matched no stored record");
    expect(within(warning).getAllByRole("listitem").map((item) => item.textContent)).toEqual(["address.town → town"]);
  });

  it("warns of no unmatched mapping for a connector without field mappings (the schema read is the records table's column order)", async () => {
    const calls = api();
    renderPage("viewer");
    await screen.findByRole("heading", { name: "Customer <b>API</b>" });
    await waitFor(() => expect(calls.filter((c) => c.url.endsWith("/schema/"))).toHaveLength(1));
    expect(screen.queryByTestId("unmatched-mappings")).toBeNull();
  });

  it("says a POST connector sends a JSON body, and shows the body", async () => {
    const body = { filter: { property: "Status", status: { equals: "Done" } } };
    api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector({ request_method: "POST", request_body: body }) } : null));
    renderPage("viewer");
    expect((await screen.findByText("Requests")).closest("div")?.querySelector("dd")?.textContent).toBe("POST with a JSON body");
    const details = screen.getByText("Request body").closest("details")!;
    expect(JSON.parse(details.querySelector("pre")!.textContent!)).toEqual(body);
  });

  it.each([
    [{}, "Off: every sync fetches everything"],
    [{ cursor_field: "updated_at", param: "updated_since" }, "By updated_at: the highest value seen is sent as ?updated_since="],
    [
      { cursor_field: "last_edited_time", body_filter: { after: "{since}" }, initial_value: "2026-01-01" },
      "By last_edited_time: the highest value seen is merged into the POST body (body filter); the first sync starts at 2026-01-01",
    ],
  ])("says where an incremental connector's runs start (%j)", async (incremental, words) => {
    api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector({ incremental }) } : null));
    renderPage("viewer");
    expect((await screen.findByText("Incremental")).closest("div")?.querySelector("dd")?.textContent).toBe(words);
  });

  it("names the further credentials stored, never their values", async () => {
    const saved = connector({ auth_type: "header", auth_header_name: "DD-API-KEY", secret_param_names: { headers: ["DD-APPLICATION-KEY"] } });
    api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: saved } : null));
    renderPage("viewer");
    const auth = (await screen.findByText("Authentication")).closest("div")?.querySelector("dd")?.textContent;
    expect(auth).toBe("Custom header (DD-API-KEY); further credentials stored: header DD-APPLICATION-KEY");
  });

  it("names the authentication and the records path in the form's words, not the API's values", async () => {
    let saved = connector({ auth_type: "bearer", records_path: null });
    api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: saved } : null));
    const detail = async (label: string) => (await screen.findByText(label, { selector: "dt" })).nextElementSibling!;
    const { unmount } = renderPage("viewer");
    expect((await detail("Authentication")).textContent).toBe("Bearer token");
    expect((await detail("Records path")).textContent).toBe("Detected automatically");
    unmount();
    saved = connector({ auth_type: "none", records_path: "" });
    renderPage("viewer");
    expect((await detail("Authentication")).textContent).toBe("No authentication");
    expect((await detail("Records path")).textContent).toBe("The response is the list");
  });

  it("says GET for a GET connector, with no request body", async () => {
    api();
    renderPage("viewer");
    expect((await screen.findByText("Requests")).closest("div")?.querySelector("dd")?.textContent).toBe("GET");
    expect(screen.queryByText("Request body")).toBeNull();
  });

  it("shows the style the latest sync detected beside an auto pagination, linking to that sync", async () => {
    const runs = [syncLog({ id: 42, status: "FAILED", detected_pagination: "" }), syncLog({ id: 41, status: "SUCCESS", detected_pagination: "page" })];
    api((call) => (call.url.startsWith("/api/demo-extension/connectors/7/sync_history/") ? { body: { ...emptyPage, count: 2, results: runs } } : null));
    renderPage("viewer");
    const link = await screen.findByRole("link", { name: "run #41" });
    expect(link.getAttribute("href")).toBe("/sync-logs/41");
    expect(link.closest("dd")?.textContent).toContain("detected page by run #41");
  });

  it("says the pagination in words, its exact JSON one click away", async () => {
    const pagination = { type: "page", page_param: "page", size_param: "per_page", page_size: 100 };
    api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector({ pagination }) } : null));
    renderPage("viewer");
    const shown = (await screen.findByText("Pagination", { selector: "dt" })).nextElementSibling!;
    expect(shown.firstChild?.textContent).toBe("Page numbers (page, per_page, 100 a page)");
    expect(shown.textContent).not.toContain('{"type"');
    const json = within(shown as HTMLElement).getByText("Pagination as JSON").closest("details")!;
    expect(JSON.parse(json.querySelector("pre")!.textContent!)).toEqual(pagination);
  });

  it("words each pagination style with the parameters its requests carry", () => {
    expect(paginationSummary({ type: "auto" })).toBe("Detected automatically");
    expect(paginationSummary(undefined)).toBe("Detected automatically");
    expect(paginationSummary({ type: "none" })).toBe("None: one request, one page");
    expect(paginationSummary({ type: "page", page_size: 50 })).toBe("Page numbers (page, 50 a page)");
    expect(paginationSummary({ type: "offset", limit: 100 })).toBe("Offset / limit (offset, limit, 100 a page)");
    expect(paginationSummary({ type: "cursor", cursor_param: "cursor", cursor_path: "meta.next_cursor" })).toBe("Cursor (cursor, from meta.next_cursor)");
    expect(paginationSummary({ type: "cursor", cursor_param: "starting_after", cursor_from: "last_record" })).toBe("Cursor (starting_after, from the last record's id)");
    // the engine reads again the hits of a page's final sort values (not only the last hit's): the hits' sort
    expect(paginationSummary({ type: "cursor", cursor_from: "search_after", page_size: 1000 })).toBe("search_after (the hits' sort, 1000 a page)");
    expect(PAGINATION_KEYS.cursor.find((key) => key.key === "cursor_from")?.choices?.find((choice) => choice.value === "search_after")?.label).toBe(
      "The hits' sort values (Elasticsearch / OpenSearch search_after)",
    );
    expect(paginationSummary({ type: "next_url", next_url_path: "links.next" })).toBe("Next URL in the body (at links.next)");
    expect(paginationSummary({ type: "link_header", size_param: "per_page", page_size: 100 })).toBe("Link header (per_page, 100 a page)");
  });

  it("shows no detected style for a connector with its pagination set", async () => {
    const runs = [syncLog({ id: 41, status: "SUCCESS", detected_pagination: "page" })];
    api((call) => {
      if (call.url === "/api/demo-extension/connectors/7/") return { body: connector({ pagination: { type: "page", page_size: 50 } }) };
      return call.url.startsWith("/api/demo-extension/connectors/7/sync_history/") ? { body: { ...emptyPage, count: 1, results: runs } } : null;
    });
    renderPage("viewer");
    await screen.findByRole("table", { name: "Sync history" });
    expect(screen.queryByText(/detected/)).toBeNull();
  });

  it("says a key too short for a hint is stored, without a placeholder hint", async () => {
    api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector({ has_api_key: true, api_key_last4: "" }) } : null));
    renderPage("viewer");
    await screen.findByRole("heading", { name: "Customer <b>API</b>" });
    expect(screen.getByText("stored")).toBeTruthy();
    expect(screen.queryByText(/\?\?\?\?/)).toBeNull();
  });

  it("shows an editor the write buttons but not Delete", async () => {
    api();
    renderPage("editor");
    await screen.findByRole("heading", { name: "Customer <b>API</b>" });
    for (const name of ["Test connection", "Sync now", "Full refresh", "Edit"]) {
      expect(screen.getByRole("button", { name })).toBeTruthy();
    }
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
  });

  it("tests the connection and shows the result", async () => {
    api((call) =>
      call.url.endsWith("/test_connection/")
        ? {
            body: {
              connected: false,
              response_time_ms: 12.34,
              message: "Upstream answered 401 Unauthorized",
              endpoint: "https://api.example.com/customers",
              status_code: 401,
            },
          }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    // the API answered: the heading says what it answered, not "Not connected"
    expect(await screen.findByRole("heading", { name: "The API refused the key (401)" })).toBeTruthy();
    expect(screen.queryByRole("heading", { name: "Not connected" })).toBeNull();
    expect(screen.getByText("Upstream answered 401 Unauthorized")).toBeTruthy();
    expect(screen.getByText("12.3 ms")).toBeTruthy();
    expect(screen.getByText("401")).toBeTruthy();
  });

  it("marks a connection test's result stale once the form changes what it tested, and drops it when that is saved", async () => {
    const tested = { connected: true, response_time_ms: 12, message: "Connection successful", endpoint: "https://api.example.com/customers", status_code: 200 };
    api((call) => {
      if (call.url.endsWith("/test_connection/")) return { body: tested };
      if (call.url === "/api/demo-extension/connectors/7/") return { body: call.method === "PATCH" ? connector({ api_endpoint: "https://api.example.com/v2/customers" }) : connector() };
      return null;
    });
    // with the app's live region, to hear it said
    renderAs("editor", <AnnouncerProvider><ConnectorDetailPage /></AnnouncerProvider>, "/connectors/7", "/connectors/:id", { before: ["/connectors"] });
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("test-result");
    fireEvent.click(screen.getByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit connector" });
    // a name is not what the test read with: the result stands
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: "Renamed" } });
    expect(screen.queryByTestId("test-stale")).toBeNull();
    fireEvent.change(within(form).getByLabelText(/^API endpoint/), { target: { value: "https://api.example.com/v2/customers" } });
    await vi.waitFor(() => expect(screen.getByTestId("test-stale").textContent).toContain("This tested the saved settings."));
    await vi.waitFor(() => expect(screen.getByTestId("announcer").textContent).toContain("The connection test's result is now stale"));
    expect(within(result).getByText("STALE")).toBeTruthy();
    // changed back: the result describes the form again
    fireEvent.change(within(form).getByLabelText(/^API endpoint/), { target: { value: "https://api.example.com/customers" } });
    await vi.waitFor(() => expect(screen.queryByTestId("test-stale")).toBeNull());
    fireEvent.change(within(form).getByLabelText(/^API endpoint/), { target: { value: "https://api.example.com/v2/customers" } });
    await screen.findByTestId("test-stale");
    fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await screen.findByRole("button", { name: "Edit" });
    expect(screen.queryByTestId("test-result")).toBeNull();
  });

  it("says a successful connection test connected once, not in its heading and again in the API's words", async () => {
    api((call) =>
      call.url.endsWith("/test_connection/")
        ? { body: { connected: true, tested: true, retry_after: null, response_time_ms: 41.5, message: "Connection successful", endpoint: "https://api.example.com/customers", status_code: 200 } }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("test-result");
    expect(within(result).getByRole("heading", { name: "Connected" })).toBeTruthy();
    expect(within(result).queryByText(/Connection successful/)).toBeNull();
    expect(within(result).getByText("41.5 ms")).toBeTruthy();
  });

  it("heads a connection test the API answered 429 as rate limited and says when to try again", async () => {
    api((call) =>
      call.url.endsWith("/test_connection/")
        ? { body: { connected: false, tested: true, retry_after: 30, response_time_ms: 8, message: "HTTP 429 from https://api.example.com/customers after 1 attempt", endpoint: "https://api.example.com/customers", status_code: 429 } }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("test-result");
    expect(within(result).getByRole("heading", { name: "Rate limited by the API (429)" })).toBeTruthy();
    expect(within(result).queryByRole("heading", { name: "Not connected" })).toBeNull();
    expect(within(result).getByTestId("test-retry-after").textContent).toMatch(/^Try again after \d\d:\d\d:\d\d \S+ \(in 30 s\): until then every request of this connector is paused\.$/);
    // the exact time is said once: no vaguer "try again later" under it
    expect(result.textContent).not.toMatch(/try again later/i);
    expect(within(result).getByText("If the API keeps limiting the rate, give the connector a lower requests per second.")).toBeTruthy();
    // a rate limit, badged as one (as the heading says), not a failure of the connector
    expect(within(result).getByText("RATE LIMITED").className).toBe("badge badge-partial");
    expect(within(result).queryByText("FAILED")).toBeNull();
    expect(result.classList.contains("paused")).toBe(true);
  });

  it("counts the seconds a connection test has waited for the API, until its result comes", async () => {
    api((call) =>
      call.url.endsWith("/test_connection/")
        ? { body: { connected: true, response_time_ms: 9500, message: "Connected", endpoint: "https://api.example.com/customers", status_code: 200 } }
        : null,
    );
    const answered = holdAnswers("/test_connection/");
    renderPage("editor");
    const button = await screen.findByRole("button", { name: "Test connection" });
    vi.useFakeTimers({ shouldAdvanceTime: true });
    fireEvent.click(button);
    expect(screen.getByRole("button", { name: "Testing…" })).toBeTruthy();
    const waiting = screen.getByTestId("test-waiting");
    expect(waiting.textContent).toBe("Waiting for the API: 0 s so far.");
    // the count is not read out every second: it is in no live region
    expect(waiting.closest("[aria-live], [role=status], [role=alert]")).toBeNull();
    act(() => void vi.advanceTimersByTime(4000));
    expect(screen.getByTestId("test-waiting").textContent).toBe("Waiting for the API: 4 s so far.");
    answered();
    expect(await screen.findByTestId("test-result")).toBeTruthy();
    expect(screen.queryByTestId("test-waiting")).toBeNull();
  });

  it("says where to look when the API refused the key in a connection test", async () => {
    api((call) =>
      call.url.endsWith("/test_connection/")
        ? { body: { connected: false, response_time_ms: 3.2, message: "HTTP 403 from https://api.example.com/customers after 1 attempt", endpoint: "https://api.example.com/customers", status_code: 403 } }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("test-result");
    expect(within(result).getByText("HTTP 403 from https://api.example.com/customers after 1 attempt")).toBeTruthy();
    expect(within(result).getByText("Check the API key and the authentication type, and the key's permissions.")).toBeTruthy();
  });

  it("says a test that reached the API but could not read its answer connected, and where to look", async () => {
    const message = "records_path 'results.items' was not found in the response from https://api.example.com/customers (top-level keys: data, page).";
    api((call) =>
      call.url.endsWith("/test_connection/")
        ? { body: { connected: false, response_time_ms: 2.6, message, endpoint: "https://api.example.com/customers", status_code: 200 } }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("test-result");
    expect(within(result).getByRole("heading", { name: "Connected, but the answer is not usable" })).toBeTruthy();
    expect(within(result).queryByRole("heading", { name: "Not connected" })).toBeNull();
    expect(within(result).getByText(/check the records path/)).toBeTruthy();
  });

  it("says what to do when a connection test got a server error from the API", async () => {
    api((call) =>
      call.url.endsWith("/test_connection/")
        ? { body: { connected: false, response_time_ms: 5.2, message: "HTTP 503 from https://api.example.com/customers after 1 attempt", endpoint: "https://api.example.com/customers", status_code: 503 } }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("test-result");
    expect(within(result).getByRole("heading", { name: "Server error from the API (503)" })).toBeTruthy();
    expect(within(result).getByText("The API failed on its side, not because of these settings: try again later.")).toBeTruthy();
  });

  it("says to check the host, the port and that the API runs when nothing accepted the test's connection", async () => {
    api((call) =>
      call.url.endsWith("/test_connection/")
        ? { body: { connected: false, response_time_ms: 3.1, message: "Could not connect to http://127.0.0.1:8001/users after 1 attempt", endpoint: "http://127.0.0.1:8001/users", status_code: null } }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("test-result");
    expect(within(result).getByText("Nothing accepted the connection: check the endpoint's host and port, and that the API is running.")).toBeTruthy();
  });

  it("shows a connection test that sent nothing, the connector being paused, as not tested", async () => {
    const message = "Not tested: the API asked to slow down (HTTP 429 or Retry-After), so every request of this connector is paused for another 8 s. Try again after that.";
    api((call) =>
      call.url.endsWith("/test_connection/")
        ? { body: { connected: false, tested: false, response_time_ms: null, message, endpoint: "https://api.example.com/customers", status_code: null } }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("test-result");
    // the heading says why, not "Not tested" above a message that begins with it
    expect(within(result).getByRole("heading", { name: "Waiting for the API's rate limit" })).toBeTruthy();
    expect(within(result).getAllByText(/Not tested/)).toHaveLength(1);
    // the endpoint may break after a / or a :, so a phone does not cut it within the port
    const endpoint = within(result).getByText("Endpoint").nextElementSibling!;
    expect(endpoint.textContent).toBe("https://api.example.com/customers");
    expect(endpoint.querySelectorAll("wbr").length).toBeGreaterThan(0);
    expect(within(result).getByText("PAUSED")).toBeTruthy();
    expect(within(result).queryByText("FAILED")).toBeNull();
    expect(within(result).getByText(message)).toBeTruthy();
  });

  it("starts a sync without waiting and follows it", async () => {
    const calls = api((call) =>
      call.url.includes("/sync_data/") ? { status: 202, body: syncLog({ id: 9, status: "PENDING" }) } : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Sync now" }));
    expect(await within(await screen.findByTestId("sync-progress")).findByRole("link", { name: "run #9" })).toBeTruthy();
    // trigger=ui: the run is recorded as started from the web UI, not "api"
    expect(calls.find((c) => c.method === "POST")?.url).toBe("/api/demo-extension/connectors/7/sync_data/?wait=0&trigger=ui");
    const progress = screen.getByTestId("sync-progress");
    expect(await within(progress).findByText("SUCCESS")).toBeTruthy();
    expect(calls.some((c) => c.url === "/api/demo-extension/sync-logs/9/")).toBe(true);
  });

  it("gives Sync now back and reads the connector again when the run it follows is gone", async () => {
    let gone = false;
    const calls = api((call) => {
      if (call.url.includes("/sync_data/")) return { status: 202, body: syncLog({ id: 9, status: "PENDING" }) };
      if (call.url === "/api/demo-extension/sync-logs/9/") return gone ? { status: 404, body: { detail: "Not found." } } : { body: syncLog({ id: 9, status: "RUNNING" }) };
      return null;
    });
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Sync now" }));
    const progress = await screen.findByTestId("sync-progress");
    expect(await within(progress).findByText("RUNNING")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Sync now" }) as HTMLButtonElement).disabled).toBe(true);
    const connectorReads = () => calls.filter((c) => c.url === "/api/demo-extension/connectors/7/").length;
    const before = connectorReads();
    gone = true;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    });
    expect(await within(progress).findByText(/Run #9 is gone/)).toBeTruthy();
    expect((screen.getByRole("button", { name: "Sync now" }) as HTMLButtonElement).disabled).toBe(false);
    expect(connectorReads()).toBe(before + 1);
  });

  it("says the connector is gone when the run it follows disappeared with it, instead of its stale page", async () => {
    let gone = false;
    api((call) => {
      if (call.url.includes("/sync_data/")) return { status: 202, body: syncLog({ id: 9, status: "PENDING" }) };
      if (gone && call.url.startsWith("/api/demo-extension/")) return { status: 404, body: { detail: "Not found." } };
      if (call.url === "/api/demo-extension/sync-logs/9/") return { body: syncLog({ id: 9, status: "RUNNING" }) };
      return null;
    });
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Sync now" }));
    expect(await within(await screen.findByTestId("sync-progress")).findByText("RUNNING")).toBeTruthy();
    gone = true;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    });
    const notice = await screen.findByTestId("missing");
    expect(notice.textContent).toContain("Connector #7 does not exist in this tenant, or was deleted.");
    expect(within(notice).getByRole("link", { name: "← All connectors" }).getAttribute("href")).toBe("/connectors");
    expect(screen.queryByRole("button", { name: "Sync now" })).toBeNull();
    expect(screen.queryByText("Not found.")).toBeNull();
  });

  it("follows a sync already running when the page opens, as if it had been started here", async () => {
    // The API as a reload mid-sync finds it: sync #12 running, then done at the next poll after
    // the test ends it (not after a number of polls, which a slow machine lets by unseen).
    let ended = false;
    const running = syncLog({ id: 12, status: "RUNNING", records_processed: 40 });
    const done = syncLog({ id: 12, status: "SUCCESS", records_processed: 120, finished_at: "2026-11-28T10:01:00Z" });
    const calls = api((call) => {
      if (call.url === "/api/demo-extension/sync-logs/12/") return { body: ended ? done : running };
      if (call.url.startsWith("/api/demo-extension/connectors/7/sync_history/")) return { body: { ...emptyPage, count: 1, results: [ended ? done : running] } };
      if (call.url === "/api/demo-extension/connectors/7/")
        return { body: connector(ended ? { last_sync_status: "SUCCESS", last_sync_at: "2026-11-28T10:01:00Z" } : { last_sync_status: "FAILED" }) };
      return null;
    });
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderPage("editor");
    const progress = await screen.findByTestId("sync-progress");
    expect(within(progress).getByRole("link", { name: "run #12" })).toBeTruthy();
    expect((screen.getByRole("button", { name: "Sync now" }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole("button", { name: "Full refresh" }) as HTMLButtonElement).disabled).toBe(true);
    expect(progress.contains(document.activeElement)).toBe(false); // nobody asked for it: the focus stays
    ended = true;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(POLL_INTERVAL_MS);
    });
    await within(progress).findByText("SUCCESS");
    await vi.waitFor(() => expect((screen.getByRole("button", { name: "Sync now" }) as HTMLButtonElement).disabled).toBe(false));
    // the page catches up as after a sync started here: the connector and its history again
    await vi.waitFor(() => expect(calls.filter((c) => c.url === "/api/demo-extension/connectors/7/").length).toBe(2));
    await vi.waitFor(() => expect(screen.getByText("Last sync").closest("div")?.textContent).toContain("SUCCESS"));
    const history = screen.getByRole("table", { name: "Sync history" });
    expect(within(history).getByText("SUCCESS")).toBeTruthy();
    expect(within(history).queryByText("RUNNING")).toBeNull();
  });

  it("offers an editor, not a viewer, to cancel the sync it follows", async () => {
    const running = syncLog({ id: 12, status: "RUNNING", records_processed: 40 });
    for (const [role, offered] of [["editor", true], ["viewer", false]] as const) {
      api((call) => {
        if (call.url === "/api/demo-extension/sync-logs/12/") return { body: running };
        if (call.url.startsWith("/api/demo-extension/connectors/7/sync_history/")) return { body: { ...emptyPage, count: 1, results: [running] } };
        return null;
      });
      const { unmount } = renderAs(role, <ConnectorDetailPage />, "/connectors/7", "/connectors/:id");
      const progress = await screen.findByTestId("sync-progress");
      await within(progress).findByText("RUNNING");
      expect(within(progress).queryByRole("button", { name: "Cancel sync" }) !== null).toBe(offered);
      unmount();
    }
  });

  it("follows a pending sync that a refresh of the history shows", async () => {
    let started = false;
    api((call) => {
      if (call.url === "/api/demo-extension/sync-logs/13/") return { body: syncLog({ id: 13, status: "PENDING" }) };
      if (call.url.startsWith("/api/demo-extension/connectors/7/sync_history/")) {
        const runs = started ? [syncLog({ id: 13, status: "PENDING" }), syncLog({ id: 11, status: "SUCCESS" })] : [syncLog({ id: 11, status: "SUCCESS" })];
        return { body: { ...emptyPage, count: runs.length, results: runs } };
      }
      return null;
    });
    renderPage("editor");
    const history = await screen.findByRole("table", { name: "Sync history" });
    expect(screen.queryByTestId("sync-progress")).toBeNull();
    started = true; // a scheduled run, or one started in another tab
    fireEvent.click(within(history.closest("section")!).getByRole("button", { name: "Refresh" }));
    const progress = await screen.findByTestId("sync-progress");
    expect(within(progress).getByRole("link", { name: "run #13" })).toBeTruthy();
    expect((screen.getByRole("button", { name: "Sync now" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("does not follow a finished sync of the history", async () => {
    api((call) =>
      call.url.startsWith("/api/demo-extension/connectors/7/sync_history/") ? { body: { ...emptyPage, count: 1, results: [syncLog({ id: 11, status: "FAILED" })] } } : null,
    );
    renderPage("editor");
    await screen.findByRole("table", { name: "Sync history" });
    expect(screen.queryByTestId("sync-progress")).toBeNull();
    expect((screen.getByRole("button", { name: "Sync now" }) as HTMLButtonElement).disabled).toBe(false);
  });

  it("asks for a full refresh with the API's parameter once the user confirms what it deletes", async () => {
    const calls = api((call) => (call.url.includes("/sync_data/") ? { status: 202, body: syncLog({ id: 9 }) } : null));
    renderPage("admin");
    fireEvent.click(await screen.findByRole("button", { name: "Full refresh" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog.textContent).toMatch(/no longer returns are marked deleted, and destinations loading this connector delete/);
    fireEvent.click(within(dialog).getByRole("button", { name: "Start the full refresh" }));
    await within(await screen.findByTestId("sync-progress")).findByRole("link", { name: "run #9" });
    expect(calls.find((c) => c.method === "POST")?.url).toBe(
      "/api/demo-extension/connectors/7/sync_data/?wait=0&trigger=ui&full_refresh=true",
    );
  });

  it("starts no full refresh when the user cancels the confirmation", async () => {
    const calls = api((call) => (call.url.includes("/sync_data/") ? { status: 202, body: syncLog({ id: 9 }) } : null));
    renderPage("admin");
    fireEvent.click(await screen.findByRole("button", { name: "Full refresh" }));
    fireEvent.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("explains a sync already running and links to it", async () => {
    api((call) =>
      call.url.includes("/sync_data/")
        ? { status: 409, body: { detail: "A sync of this connector is already running.", sync_log_id: 12 } }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Sync now" }));
    const alert = await screen.findByText(/A sync of this connector is already running\./);
    expect(alert).toBeTruthy();
    expect(screen.getByRole("link", { name: "Open run #12" }).getAttribute("href")).toBe("/sync-logs/12");
  });

  it("says which connector does not exist, links the list, and reads its history once", async () => {
    const calls = api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { status: 404, body: { detail: "Not found." } } : null));
    renderPage("admin");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Connector #7 does not exist in this tenant, or was deleted.");
    expect(within(alert).getByRole("link", { name: "← All connectors" }).getAttribute("href")).toBe("/connectors");
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Connector #7");
    await act(async () => {});
    expect(calls.filter((call) => call.url.includes("/sync_history/")).length).toBe(1);
  });

  it("reads the sync history once for the charts and the history's first page, and a later page on its own", async () => {
    const runs = Array.from({ length: 12 }, (_, index) => syncLog({ id: 100 - index, status: "SUCCESS" }));
    const calls = api((call) =>
      call.url.startsWith("/api/demo-extension/connectors/7/sync_history/") ? { body: { ...emptyPage, count: 12, results: runs } } : null,
    );
    renderPage("viewer");
    const table = await screen.findByRole("table", { name: "Sync history" });
    expect(within(table).getAllByRole("row").length).toBe(11);
    expect(calls.filter((call) => call.url.includes("/sync_history/")).length).toBe(1);
    fireEvent.click(screen.getByRole("button", { name: "Next →" }));
    await vi.waitFor(() => expect(calls.filter((call) => call.url.includes("/sync_history/")).length).toBe(2));
    const later = calls.filter((call) => call.url.includes("/sync_history/"))[1]!.url;
    expect(later).toContain("page=2");
    expect(later).toContain("page_size=10");
  });

  it("edits a connector without touching its key, keeping its pagination settings", async () => {
    const paged = connector({ pagination: { type: "page", page_size: 50, page_param: "p" } });
    const calls = api((call) => {
      if (call.url !== "/api/demo-extension/connectors/7/") return null;
      return { body: call.method === "PATCH" ? { ...paged, name: "Renamed" } : paged };
    });
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    expect(screen.getByRole("group", { name: "API key Set (…9xyz)" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Replace API key" })).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Renamed" } });
    fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    await screen.findByRole("button", { name: "Edit" });
    const sent = calls.find((c) => c.method === "PATCH")?.body as Record<string, unknown>;
    expect(sent.name).toBe("Renamed");
    expect("api_key" in sent).toBe(false);
    expect(sent.pagination).toEqual({ type: "page", page_param: "p", page_size: 50 });
  });

  it("shows what the server warned about when an edit was saved", async () => {
    const warning = "The host name api.internal.test could not be resolved here; the connector was saved.";
    api((call) => {
      if (call.url !== "/api/demo-extension/connectors/7/") return null;
      return { body: call.method === "PATCH" ? connector({ warnings: [warning] }) : connector() };
    });
    renderPage("editor");
    expect(screen.queryByTestId("save-warnings")).toBeNull();
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    expect((await screen.findByTestId("save-warnings")).textContent).toBe(`Saved, with a warning:${warning}`);
  });

  it("shows the warnings of the creation it was opened from", async () => {
    const warning = "The host name api.internal.test could not be resolved here; the connector was saved.";
    api(() => null);
    const router = createMemoryRouter([{ path: "/connectors/:id", element: <ConnectorDetailPage /> }], {
      initialEntries: [{ pathname: "/connectors/7", state: { created: true, warnings: [warning] } }],
    });
    const auth = { me: me("editor"), checking: false, signIn: vi.fn(), signOut: vi.fn(), acceptInvitation: vi.fn() };
    render(
      <AuthContext.Provider value={auth}>
        <RouterProvider router={router} />
      </AuthContext.Provider>,
    );
    expect((await screen.findByTestId("save-warnings")).textContent).toBe(`Saved, with a warning:${warning}`);
  });

  it("drops the already-running warning once that sync has ended", async () => {
    api((call) => {
      if (call.url.includes("/sync_data/")) return { status: 409, body: { detail: "A sync of this connector is already running.", sync_log_id: 12 } };
      if (call.url === "/api/demo-extension/sync-logs/12/") return { body: syncLog({ id: 12, status: "SUCCESS" }) };
      return null;
    });
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Sync now" }));
    await screen.findByText(/already running/);
    await vi.waitFor(() => expect(screen.queryByText(/already running/)).toBeNull());
  });

  it("closes the edit form with Escape, asking first in a dialog when there are unsaved edits", async () => {
    api();
    const confirm = vi.spyOn(window, "confirm");
    renderPage("editor");
    const form = await editName();
    const name = within(form).getByLabelText("Name");
    name.focus();
    fireEvent.keyDown(name, { key: "Escape" });
    const dialog = screen.getByRole("alertdialog", { name: "Discard unsaved changes?" });
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    expect(document.activeElement).toBe(within(dialog).getByRole("button", { name: "Keep editing" }));
    fireEvent.keyDown(document.activeElement!, { key: "Escape" }); // Escape in the dialog: keep editing
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(screen.getByRole("form", { name: "Edit connector" })).toBeTruthy();
    expect(document.activeElement).toBe(name); // back where it was
    fireEvent.keyDown(form, { key: "Escape" });
    fireEvent.click(screen.getByRole("button", { name: "Discard changes" }));
    expect(screen.queryByRole("form", { name: "Edit connector" })).toBeNull();
    expect(confirm).not.toHaveBeenCalled(); // the app's own dialog, not the browser's
  });

  it("keeps the focus inside the dialog and the page behind it inert", async () => {
    api();
    renderPage("editor");
    const form = await editName();
    fireEvent.click(within(form).getByRole("button", { name: "Cancel" }));
    const dialog = screen.getByRole("alertdialog");
    const [stay, discard] = within(dialog).getAllByRole("button");
    expect(form.closest("[inert]")).not.toBeNull();
    discard!.focus();
    fireEvent.keyDown(discard!, { key: "Tab" });
    expect(document.activeElement).toBe(stay);
    fireEvent.keyDown(stay!, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(discard);
    fireEvent.click(within(dialog).getByRole("button", { name: "Keep editing" }));
    expect(form.closest("[inert]")).toBeNull();
  });

  it("closes an unchanged edit form with Escape without asking", async () => {
    api();
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    fireEvent.keyDown(screen.getByRole("form", { name: "Edit connector" }), { key: "Escape" });
    expect(screen.queryByRole("form", { name: "Edit connector" })).toBeNull();
    expect(screen.queryByRole("alertdialog")).toBeNull();
  });

  it("asks before the browser's Back button leaves unsaved edits, stays, then leaves when told to", async () => {
    api();
    const { router } = renderPage("editor");
    await editName();
    await act(async () => {
      await router.navigate(-1); // the Back button
    });
    const dialog = screen.getByRole("alertdialog", { name: "Leave with unsaved changes?" });
    expect(within(dialog).getByText(/You have not saved your changes to this connector/)).toBeTruthy();
    fireEvent.click(within(dialog).getByRole("button", { name: "Stay on this page" }));
    expect(router.state.location.pathname).toBe("/connectors/7");
    expect((within(screen.getByRole("form", { name: "Edit connector" })).getByLabelText("Name") as HTMLInputElement).value).toBe("Changed");
    await act(async () => {
      await router.navigate(-1);
    });
    fireEvent.click(screen.getByRole("button", { name: "Discard and leave" }));
    expect(await screen.findByText("elsewhere")).toBeTruthy();
    expect(router.state.location.pathname).toBe("/connectors");
  });

  it("lets a change of the address's query through (a table's sort) with the edits kept", async () => {
    api();
    const { router } = renderPage("editor");
    await editName();
    await act(async () => {
      await router.navigate("/connectors/7?r_sort=-external_id");
    });
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect((within(screen.getByRole("form", { name: "Edit connector" })).getByLabelText("Name") as HTMLInputElement).value).toBe("Changed");
  });

  it("asks on reload or closing the tab only while there are unsaved edits", async () => {
    api();
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const before = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(before);
    expect(before.defaultPrevented).toBe(false);
    fireEvent.change(within(screen.getByRole("form", { name: "Edit connector" })).getByLabelText("Name"), { target: { value: "Changed" } });
    const after = new Event("beforeunload", { cancelable: true });
    window.dispatchEvent(after);
    expect(after.defaultPrevented).toBe(true);
  });

  it("hides the API key field for No authentication", async () => {
    api();
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit connector" });
    expect(within(form).getByRole("group", { name: /^API key/ })).toBeTruthy();
    fireEvent.change(within(form).getByLabelText("Authentication"), { target: { value: "none" } });
    expect(within(form).queryByRole("group", { name: /^API key/ })).toBeNull();
    expect(within(form).queryByText(/API key/)).toBeNull();
  });

  it("edits a basic connector without sending its user name, and clears it only when asked", async () => {
    const basic = connector({ auth_type: "basic", has_auth_username: true });
    const calls = api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: basic } : null));
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit connector" });
    expect(within(form).getByRole("group", { name: "User name Set" })).toBeTruthy();
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: "Renamed" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await screen.findByRole("button", { name: "Edit" });
    const first = calls.filter((c) => c.method === "PATCH")[0]!.body as Record<string, unknown>;
    expect(first.auth_type).toBe("basic");
    expect("auth_username" in first).toBe(false);
    expect("api_key" in first).toBe(false);

    fireEvent.click(screen.getByRole("button", { name: "Edit" }));
    const again = screen.getByRole("form", { name: "Edit connector" });
    fireEvent.click(within(again).getByRole("button", { name: "Clear User name" }));
    expect(within(again).getByText("Will be removed when you save.")).toBeTruthy();
    fireEvent.click(within(again).getByRole("button", { name: "Save changes" }));
    await screen.findByRole("button", { name: "Edit" });
    const second = calls.filter((c) => c.method === "PATCH")[1]!.body as Record<string, unknown>;
    expect(second.auth_username).toBe("");
  });

  it("shows the API's demand for the credentials again on the API key field in the form's words, with an input to type it", async () => {
    api((call) =>
      call.method === "PATCH"
        ? {
            status: 400,
            body: {
              detail: "api_key: Changing api_endpoint origin sends the credentials elsewhere: send api_key again (or an empty string to remove it).",
              errors: { api_key: ["Changing api_endpoint origin sends the credentials elsewhere: send api_key again (or an empty string to remove it)."] },
            },
          }
        : null,
    );
    renderPage("admin");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit connector" });
    fireEvent.change(within(form).getByLabelText("API endpoint"), { target: { value: "https://elsewhere.example.com/customers" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await vi.waitFor(() => expect(document.getElementById("edit-7-api_key")).toBeTruthy());
    const key = document.getElementById("edit-7-api_key")!;
    expect(key.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(key.getAttribute("aria-describedby")!.split(" ").pop()!)?.textContent).toBe(
      "The endpoint's host changed: enter the API key again (the stored one is not sent to another host), or choose Clear to remove it.",
    );
    expect(form.textContent).not.toContain("api_key");
    await vi.waitFor(() => expect(document.activeElement).toBe(key));
  });

  it("clears the stored API key from the field the API asked to send again", async () => {
    const calls = api((call) =>
      call.method === "PATCH" && !("api_key" in (call.body as object))
        ? {
            status: 400,
            body: { errors: { api_key: ["Changing api_endpoint sends the credentials elsewhere: send api_key again (or an empty string to remove it)."] } },
          }
        : null,
    );
    renderPage("admin");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit connector" });
    fireEvent.change(within(form).getByLabelText("API endpoint"), { target: { value: "https://elsewhere.example.com/customers" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await within(form).findByText(/enter the API key again/);
    fireEvent.click(within(form).getByRole("button", { name: "Clear API key" }));
    expect(within(form).getByText("Will be removed when you save.")).toBeTruthy();
    fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await screen.findByRole("button", { name: "Edit" });
    expect(calls.filter((c) => c.method === "PATCH").map((c) => (c.body as Record<string, unknown>).api_key)).toEqual([undefined, ""]);
  });

  it("shows a 403 for a move of the credentials as the form's banner", async () => {
    api((call) =>
      call.method === "PATCH"
        ? { status: 403, body: { detail: "Changing auth_type of a connector with stored credentials needs the 'admin' role: the credentials would go to a new destination." } }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit connector" });
    fireEvent.change(within(form).getByLabelText("Authentication"), { target: { value: "header" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    expect((await within(form).findByRole("alert")).textContent).toContain("needs the 'admin' role");
  });

  it("flags a rule's source path that no record of the edit form's preview has, until the endpoint changes", async () => {
    api((call) => (call.url === "/api/demo-extension/connectors/7/preview/" ? { body: previewBody() } : null));
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit connector" });
    fireEvent.click(within(form).getByRole("button", { name: "Add a rule" }));
    const n = within(form).getAllByLabelText(/^Source path \(rule \d+\)$/).length;
    fireEvent.change(within(form).getByLabelText(`Source path (rule ${n})`), { target: { value: "adress.city" } });
    fireEvent.change(within(form).getByLabelText(`Target field (rule ${n})`), { target: { value: "city" } });
    expect(within(form).queryByTestId(`rule-${n}-sample-note`)).toBeNull(); // no preview yet: nothing to say
    fireEvent.click(within(form).getByRole("button", { name: "Fetch a preview" }));
    await within(form).findByTestId("preview-result");
    expect(within(form).getByTestId(`rule-${n}-sample-note`).textContent).toBe("No sample record has adress.city: did you mean address.city?");
    fireEvent.click(within(form).getByRole("button", { name: "Pin this pagination" })); // the same records, paged as detected
    expect(within(form).getByTestId(`rule-${n}-sample-note`)).toBeTruthy();
    fireEvent.change(within(form).getByLabelText("API endpoint"), { target: { value: "https://api.example.com/v2/customers" } });
    expect(within(form).queryByTestId(`rule-${n}-sample-note`)).toBeNull();
  });

  it("previews the form's changes on the saved connector and pins the detected pagination", async () => {
    const calls = api((call) =>
      call.url === "/api/demo-extension/connectors/7/preview/"
        ? { body: previewBody() }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit connector" });
    fireEvent.change(within(form).getByLabelText("Primary key"), { target: { value: "uuid" } });
    fireEvent.click(within(form).getByRole("button", { name: "Fetch a preview" }));
    await within(form).findByTestId("preview-result");
    const sent = calls.find((c) => c.url.endsWith("/7/preview/"))!.body as Record<string, unknown>;
    expect(sent.primary_key).toBe("uuid");
    expect("api_key" in sent).toBe(false);
    fireEvent.click(within(form).getByRole("button", { name: "Pin this pagination" }));
    expect((within(form).getByLabelText("Pagination") as HTMLSelectElement).value).toBe("page");
    expect((within(form).getByLabelText("Page parameter") as HTMLInputElement).value).toBe("page");
    fireEvent.click(within(form).getByRole("button", { name: "Use as primary key: id" }));
    expect((within(form).getByLabelText("Primary key") as HTMLInputElement).value).toBe("id");
  });

  it("links each field error to its input and does not repeat it with the raw key in the banner", async () => {
    api((call) =>
      call.method === "PATCH"
        ? { status: 400, body: { detail: "name: This field may not be blank.", errors: { name: ["This field may not be blank."] } } }
        : null,
    );
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    fireEvent.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByText("This field may not be blank.")).toBeTruthy();
    expect(screen.queryByText(/name: This field/)).toBeNull();
    expect(screen.getByText("Not saved: one field needs attention.")).toBeTruthy();
    const input = screen.getByLabelText("Name");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(document.getElementById(input.getAttribute("aria-describedby") ?? "")?.textContent).toBe("This field may not be blank.");
    expect(document.activeElement).toBe(input); // focus moved to the first invalid field
  });

  it("shows the page-not-found page for an address that is no connector id", async () => {
    fakeFetch(() => ({ body: emptyPage }));
    renderAs("viewer", <ConnectorDetailPage />, "/connectors/abc", "/connectors/:id");
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeTruthy();
  });

  it("charts runs of 0 and 1 records with the whole-number ticks 0 and 1", async () => {
    api((call) =>
      call.url.includes("/sync_history/")
        ? { body: { ...emptyPage, count: 2, results: [syncLog({ id: 2, status: "SUCCESS", records_processed: 1 }), syncLog({ id: 1, status: "SUCCESS", records_processed: 0 })] } }
        : null,
    );
    renderPage("viewer");
    const chart = await screen.findByTestId("chart-records");
    expect(Array.from(chart.querySelectorAll("svg > g[aria-hidden='true'] > text")).map((tick) => tick.textContent)).toEqual(["0", "1"]);
    // the run of 0 records is still seen as a run: a mark on the baseline
    expect(chart.querySelectorAll("[data-testid='chart-zero-mark']")).toHaveLength(1);
  });

  it("charts the latest runs' records and durations", async () => {
    api((call) =>
      call.url.includes("/sync_history/")
        ? {
            body: {
              ...emptyPage,
              count: 2,
              results: [
                syncLog({ id: 2, status: "FAILED", records_processed: 10, duration_seconds: 1.5 }),
                syncLog({ id: 1, status: "SUCCESS", records_processed: 120, duration_seconds: 3 }),
              ],
            },
          }
        : null,
    );
    renderPage("viewer");
    const chart = await screen.findByTestId("chart-records");
    // the heading says what the charts show, not only which runs
    expect(screen.getByRole("heading", { name: "Records and duration of the latest 2 syncs" })).toBeTruthy();
    expect(chart.querySelectorAll("[data-testid='chart-bar']")).toHaveLength(2);
    expect(within(chart).getByRole("img").getAttribute("aria-label")).toContain("130 records in all");
    // the status colours listed are those of the charted runs only
    const legend = screen.getByRole("list", { name: "Status colours" });
    expect(within(legend).getAllByRole("listitem").map((item) => item.textContent)).toEqual(["SUCCESS", "FAILED"]);
  });

  it("edits headers, query parameters, the incremental cursor and max pages as fields", async () => {
    const current = connector({ request_headers: { Accept: "application/json" }, incremental: { cursor_field: "updated_at", param: "since" }, max_pages: 5 });
    const calls = api((call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: current } : null));
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit connector" });
    expect((within(form).getByLabelText("Incremental: cursor field") as HTMLInputElement).value).toBe("updated_at");
    expect((within(form).getByLabelText("Name 1") as HTMLInputElement).value).toBe("Accept");
    fireEvent.change(within(form).getByLabelText("Max pages per sync"), { target: { value: "lots" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    expect(await within(form).findByText("Enter a whole number of pages, 1 or more, or leave it empty for the server's limit.")).toBeTruthy();
    expect(calls.some((c) => c.method === "PATCH")).toBe(false);
    fireEvent.change(within(form).getByLabelText("Max pages per sync"), { target: { value: "8" } });
    fireEvent.change(within(form).getByLabelText("Incremental: query parameter"), { target: { value: "updated_since" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await vi.waitFor(() => expect(calls.some((c) => c.method === "PATCH")).toBe(true));
    expect(calls.find((c) => c.method === "PATCH")?.body).toMatchObject({
      request_headers: { Accept: "application/json" },
      query_params: {},
      incremental: { cursor_field: "updated_at", param: "updated_since" },
      max_pages: 8,
    });
  });

  it("asks before a link leaves the page with unsaved edits", async () => {
    api();
    renderPage("editor");
    await editName();
    fireEvent.click(screen.getByRole("link", { name: "← All connectors" }));
    fireEvent.click(screen.getByRole("button", { name: "Stay on this page" }));
    expect(screen.getByRole("form", { name: "Edit connector" })).toBeTruthy();
    fireEvent.click(screen.getByRole("link", { name: "← All connectors" }));
    fireEvent.click(screen.getByRole("button", { name: "Discard and leave" }));
    expect(await screen.findByText("elsewhere")).toBeTruthy();
  });

  it("does not ask after the edits are saved", async () => {
    const calls = api();
    const { router } = renderPage("editor");
    const form = await editName();
    fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await vi.waitFor(() => expect(screen.queryByRole("form", { name: "Edit connector" })).toBeNull());
    expect(calls.some((c) => c.method === "PATCH")).toBe(true);
    await act(async () => {
      await router.navigate(-1);
    });
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(await screen.findByText("elsewhere")).toBeTruthy();
  });

  it("leaves without asking after deleting the connector, even with unsaved edits", async () => {
    const calls = api((call) => (call.method === "DELETE" ? { status: 204 } : null));
    const native = vi.spyOn(window, "confirm");
    renderPage("admin");
    await editName();
    fireEvent.click(screen.getByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("alertdialog", { name: /^Delete the connector / });
    expect(dialog.textContent).toContain("Its settings, its sync history and its");
    fireEvent.click(within(dialog).getByRole("button", { name: "Delete the connector" }));
    expect(await screen.findByText("elsewhere")).toBeTruthy();
    expect(calls.some((c) => c.method === "DELETE")).toBe(true);
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(native).not.toHaveBeenCalled();
  });

  it("focuses the edit form's first field when it opens and the Edit button when it closes", async () => {
    api();
    renderPage("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const form = screen.getByRole("form", { name: "Edit connector" });
    expect(document.activeElement).toBe(within(form).getByLabelText("Name"));
    fireEvent.click(within(form).getByRole("button", { name: "Cancel" }));
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Edit" })));
  });
});

describe("the connector page's requests", () => {
  it("reads the inferred schema once on load, although the records table and the mapping check both use it", async () => {
    const calls = api((call) =>
      call.url === "/api/demo-extension/connectors/7/"
        ? { body: connector({ records_count: 500, transformation_rules: { field_mappings: { name: "full_name" } } }) }
        : call.url.includes("/schema/")
          ? { body: { fields: [{ path: "full_name", parts: ["full_name"], types: ["string"] }], truncated: false, updated_at: "2026-12-01T10:00:00Z" } }
          : null,
    );
    renderPage("viewer");
    expect(await screen.findByRole("heading", { name: "Customer <b>API</b>" })).toBeTruthy();
    await vi.waitFor(() => expect(calls.some((call) => call.url.includes("/records/"))).toBe(true));
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
    });
    expect(calls.filter((call) => call.url.endsWith("/schema/")).map((call) => call.url)).toEqual(["/api/demo-extension/connectors/7/schema/"]);
  });
});

describe("the connector's edit address", () => {
  /** The app's two connector routes, opened at /connectors/7/edit after the list. */
  function renderEditAddress() {
    const router = createMemoryRouter(
      [
        { path: "/connectors/:id", element: <ConnectorDetailPage /> },
        { path: "/connectors/:id/edit", element: <ConnectorDetailPage startEditing /> },
        { path: "*", element: <div>elsewhere</div> },
      ],
      { initialEntries: ["/connectors", "/connectors/7/edit"], initialIndex: 1 },
    );
    render(
      <AuthContext.Provider value={{ me: me("editor"), checking: false, signIn: vi.fn(), signOut: vi.fn(), acceptInvitation: vi.fn() }}>
        <RouterProvider router={router} />
      </AuthContext.Provider>,
    );
    return router;
  }

  it("becomes the connector's page after a save, so a reload does not reopen the form", async () => {
    const calls = api();
    const router = renderEditAddress();
    const form = await screen.findByRole("form", { name: "Edit connector" });
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: "Renamed" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save changes" }));
    await vi.waitFor(() => expect(router.state.location.pathname).toBe("/connectors/7"));
    expect(calls.some((c) => c.method === "PATCH")).toBe(true);
    expect(screen.queryByRole("form", { name: "Edit connector" })).toBeNull();
    expect(screen.queryByRole("alertdialog")).toBeNull(); // the saved edits are not "unsaved"
    expect(await screen.findByRole("button", { name: "Edit" })).toBeTruthy();
    await act(async () => {
      await router.navigate(-1); // replaced: Back goes to the page before, not to the form
    });
    expect(router.state.location.pathname).toBe("/connectors");
  });

  it("becomes the connector's page when the form is cancelled", async () => {
    api();
    const router = renderEditAddress();
    const form = await screen.findByRole("form", { name: "Edit connector" });
    fireEvent.click(within(form).getByRole("button", { name: "Cancel" }));
    await vi.waitFor(() => expect(router.state.location.pathname).toBe("/connectors/7"));
    expect(screen.queryByRole("form", { name: "Edit connector" })).toBeNull();
  });
});
