import { act, fireEvent, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { useEffect } from "react";

import { AnnouncerProvider } from "../announce";
import type { Connector, SyncLogDetail } from "../api/types";
import { POLL_INTERVAL_MS, REFRESH_FIRST_MS, REFRESH_MAX_MS } from "../hooks";
import { connector, fakeFetch, renderAs, syncLog } from "../test/helpers";
import { SyncWatchProvider, useSyncWatch, WATCH_INTERVAL_MS } from "../syncWatch";
import { ConnectorsPage } from "./ConnectorsPage";

const page = (results: Connector[]) => ({ count: results.length, next: null, previous: null, results });
const listCalls = (calls: { method: string; url: string }[]) =>
  calls.filter((c) => c.method === "GET" && c.url.startsWith("/api/demo-extension/connectors/?")).length;

/** Every message the live region says, in order (it is cleared before each one). */
function announcements(): string[] {
  const region = screen.getByTestId("announcer");
  const said: string[] = [];
  new MutationObserver(() => {
    if (region.textContent) said.push(region.textContent);
  }).observe(region, { childList: true, characterData: true, subtree: true });
  return said;
}

const withAnnouncer = () => (
  <AnnouncerProvider>
    <ConnectorsPage />
  </AnnouncerProvider>
);

async function wait(ms: number) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the connectors list", () => {
  it("lists connectors and escapes what the API returns", async () => {
    fakeFetch(() => ({ body: page([connector()]) }));
    const { container } = renderAs("viewer", <ConnectorsPage />);
    const link = await screen.findByRole("link", { name: "Customer <b>API</b>" });
    expect(link.getAttribute("href")).toBe("/connectors/7");
    expect(container.querySelector("b")).toBeNull();
    expect(screen.getByText("1,234")).toBeTruthy();
    expect(screen.getByText("SUCCESS")).toBeTruthy();
  });

  it("says under a failing connector's last sync why it failed, so it can be told from the list", async () => {
    const error = "Fetching page 1 failed: Could not connect to http://127.0.0.1:8001/users after 5 attempts";
    fakeFetch(() => ({
      body: page([
        connector({ id: 7, last_sync_status: "FAILED", last_sync_error: error }),
        connector({ id: 8, name: "Fine", last_sync_status: "SUCCESS", last_sync_error: "" }),
      ]),
    }));
    renderAs("viewer", <ConnectorsPage />);
    const cell = (await screen.findByTestId("last-sync-error-7")).closest("td")!;
    expect(cell.getAttribute("data-label")).toBe("Last sync");
    expect(within(cell).getByText("FAILED")).toBeTruthy();
    expect(screen.getByTestId("last-sync-error-7").textContent).toBe(error);
    expect(screen.getByTestId("last-sync-error-7").className).toBe("run-error-text last-sync-error");
    expect(screen.queryByTestId("last-sync-error-8")).toBeNull();
  });

  it.each([
    ["viewer", false, false],
    ["editor", true, false],
    ["admin", true, true],
  ] as const)("shows a %s the controls of its role (write: %s, delete: %s)", async (role, write, remove) => {
    fakeFetch(() => ({ body: page([connector()]) }));
    renderAs(role, <ConnectorsPage />);
    await screen.findByRole("link", { name: "Customer <b>API</b>" });
    expect(screen.queryByRole("link", { name: "New connector" }) !== null).toBe(write);
    expect(screen.queryByRole("button", { name: /^Pause/ }) !== null).toBe(write);
    expect(screen.queryByRole("button", { name: /^Delete/ }) !== null).toBe(remove);
  });

  it("says the search covers names, and searches with the API's search parameter", async () => {
    const calls = fakeFetch(() => ({ body: page([]) }));
    renderAs("viewer", <ConnectorsPage />);
    await screen.findByText("No connectors yet.");
    const box = screen.getByLabelText("Search connectors by name");
    expect(box.getAttribute("placeholder")).toBe("Search names");
    fireEvent.change(box, { target: { value: "billing" } });
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    expect(await screen.findByText('No connector name matches "billing".')).toBeTruthy();
    expect(calls.at(-1)?.url).toBe("/api/demo-extension/connectors/?page=1&page_size=20&search=billing");
  });

  it("reads the search and the page from the address (kept on reload and Back)", async () => {
    const calls = fakeFetch(() => ({ body: page([]) }));
    renderAs("viewer", <ConnectorsPage />, "/?q=crm&page=3");
    await screen.findByText('No connector name matches "crm".');
    expect(calls[0]?.url).toBe("/api/demo-extension/connectors/?page=3&page_size=20&search=crm");
    expect((screen.getByLabelText("Search connectors by name") as HTMLInputElement).value).toBe("crm");
  });

  it("shows in the search box the search the list was read with after Back", async () => {
    const calls = fakeFetch(() => ({ body: page([]) }));
    const { router } = renderAs("viewer", <ConnectorsPage />, "/?q=crm");
    await screen.findByText('No connector name matches "crm".');
    const box = screen.getByLabelText("Search connectors by name") as HTMLInputElement;
    fireEvent.change(box, { target: { value: "billing" } });
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    await screen.findByText('No connector name matches "billing".');
    await act(async () => {
      await router.navigate(-1);
    });
    await screen.findByText('No connector name matches "crm".');
    expect(calls.at(-1)?.url).toContain("search=crm");
    expect(box.value).toBe("crm");
  });

  it("asks an admin to confirm a deletion in the app's dialog saying what is deleted, then deletes", async () => {
    const calls = fakeFetch((call) => (call.method === "DELETE" ? { status: 204 } : { body: page([connector({ records_count: 1200 })]) }));
    const native = vi.spyOn(window, "confirm");
    renderAs("admin", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: /^Delete/ }));
    let dialog = screen.getByRole("alertdialog", { name: `Delete the connector ${connector().name}?` });
    expect(dialog.textContent).toContain("its sync history and its 1,200 stored records are deleted");
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    fireEvent.click(screen.getByRole("button", { name: /^Delete/ }));
    dialog = screen.getByRole("alertdialog");
    fireEvent.click(within(dialog).getByRole("button", { name: "Delete the connector" }));
    await vi.waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.url === "/api/demo-extension/connectors/7/")).toBe(true));
    expect(native).not.toHaveBeenCalled();
  });

  it("names each cell's column for the stacked rows of a phone, the actions' cell included", async () => {
    fakeFetch(() => ({ body: page([connector()]) }));
    renderAs("admin", <ConnectorsPage />);
    const table = await screen.findByRole("table", { name: "Connectors" });
    expect(table.classList.contains("table-stack")).toBe(true);
    const row = within(table).getAllByRole("row")[1]!;
    const labels = within(row).getAllByRole("cell").map((cell) => cell.getAttribute("data-label"));
    expect(labels).toEqual([null, "Endpoint", "Schedule", "Next run", "Last sync", "Latest runs", "Records", "Actions"]);
  });

  it("pauses and resumes a connector's schedule from the list", async () => {
    let active = true;
    const calls = fakeFetch((call) => {
      if (call.method === "PATCH") {
        active = (call.body as { is_active: boolean }).is_active;
        return { body: connector({ is_active: active }) };
      }
      return { body: page([connector({ is_active: active })]) };
    });
    renderAs("editor", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: /^Pause/ }));
    expect(await screen.findByRole("button", { name: /^Resume/ })).toBeTruthy();
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ is_active: false });
    expect(screen.getAllByText("PAUSED").length).toBeGreaterThan(0);
  });

  it("shows the next run as a relative time with the exact time and zone, and the latest runs as dots", async () => {
    const soon = new Date(Date.now() + 37 * 60_000 + 10_000).toISOString();
    fakeFetch(() => ({ body: page([connector({ next_sync_at: soon, recent_statuses: ["FAILED", "SUCCESS"] })]) }));
    renderAs("viewer", <ConnectorsPage />);
    expect(await screen.findByText("in 37 min")).toBeTruthy();
    expect(screen.getByRole("img", { name: "Latest runs, newest first: FAILED, SUCCESS" })).toBeTruthy();
  });

  it("says when an anchored schedule syncs, in UTC", async () => {
    fakeFetch(() => ({ body: page([connector({ sync_frequency: "WEEKLY", sync_time: "06:30", sync_weekday: 0 })]) }));
    renderAs("viewer", <ConnectorsPage />);
    expect(await screen.findByText("Weekly on Monday at 06:30 UTC")).toBeTruthy();
  });

  it("says never synced for a connector without a sync, with no dash for a time it does not have", async () => {
    fakeFetch(() => ({ body: page([connector({ last_sync_status: null, last_sync_at: null })]) }));
    renderAs("viewer", <ConnectorsPage />);
    await screen.findByRole("link", { name: "Customer <b>API</b>" });
    const cell = document.querySelector('td[data-label="Last sync"]')!;
    expect(cell.textContent).toBe("NEVER SYNCED");
  });

  it("says a first sync started from the row is running in the Last sync column, not never synced, then its outcome", async () => {
    let ended = false;
    fakeFetch((call) => {
      if (call.url.includes("/sync_data/")) return { status: 202, body: syncLog({ id: 41, status: "PENDING" }) };
      if (call.url.includes("/sync-logs/41/")) return { body: syncLog({ id: 41, status: ended ? "SUCCESS" : "RUNNING", records_processed: 25 }) };
      // the list as it was read before the run: it names no run until it is read again
      return { body: page([connector({ last_sync_status: null, last_sync_at: null, records_count: 0 })]) };
    });
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderAs("editor", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: /^Sync now/ }));
    const cell = document.querySelector('td[data-label="Last sync"]')!;
    await vi.waitFor(() => expect(screen.getByTestId("row-sync-status").textContent).toContain("RUNNING"));
    expect(cell.textContent).toBe("FIRST SYNC RUNNING");
    ended = true;
    await wait(POLL_INTERVAL_MS);
    await vi.waitFor(() => expect(screen.getByTestId("row-sync-status").textContent).toContain("SUCCESS"));
    // the list read again still has no finished run in this fake: the row's outcome, not NEVER SYNCED
    await vi.waitFor(() => expect(cell.textContent).toBe("SUCCESS"));
  });

  it("says a connector's first sync started elsewhere is running, or waiting to start, for a viewer too", async () => {
    fakeFetch(() => ({
      body: page([
        connector({ id: 7, last_sync_status: null, last_sync_at: null, running_sync_id: 41, recent_statuses: ["RUNNING"] }),
        connector({ id: 8, name: "Queued", last_sync_status: null, last_sync_at: null, running_sync_id: 42, recent_statuses: ["PENDING"] }),
        connector({ id: 9, name: "Synced before", last_sync_status: "SUCCESS", running_sync_id: 43, recent_statuses: ["RUNNING", "SUCCESS"] }),
      ]),
    }));
    renderAs("viewer", <ConnectorsPage />);
    await screen.findByRole("link", { name: "Queued" });
    const cells = [...document.querySelectorAll('td[data-label="Last sync"]')].map((cell) => cell.textContent);
    expect(cells[0]).toBe("FIRST SYNC RUNNING");
    expect(cells[1]).toBe("FIRST SYNC WAITING TO START");
    // a connector synced before keeps its last finished run there: the row says a sync runs
    expect(cells[2]).toContain("SUCCESS");
  });

  it("says a manual connector has no next run", async () => {
    fakeFetch(() => ({ body: page([connector({ sync_frequency: "MANUAL" })]) }));
    renderAs("viewer", <ConnectorsPage />);
    expect(await screen.findByText("manual only")).toBeTruthy();
  });

  it("shows Sync now to the roles that may sync, not to a viewer", async () => {
    fakeFetch(() => ({ body: page([connector()]) }));
    renderAs("viewer", <ConnectorsPage />);
    await screen.findByRole("link", { name: "Customer <b>API</b>" });
    expect(screen.queryByRole("button", { name: /^Sync now/ })).toBeNull();
  });

  it("starts a sync from the row, shows it running, then its outcome, and refreshes the list", async () => {
    // The run ends when the test says so, not after a number of polls: however slow the machine
    // and however many polls that lets through, the row shows it running first.
    let ended = false;
    const calls = fakeFetch((call) => {
      if (call.url.includes("/sync_data/")) return { status: 202, body: syncLog({ id: 41, status: "PENDING" }) };
      if (call.url.includes("/sync-logs/41/")) {
        return { body: ended ? syncLog({ id: 41, status: "SUCCESS", records_processed: 120 }) : syncLog({ id: 41, status: "RUNNING", records_processed: 25 }) };
      }
      return { body: page([connector()]) };
    });
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderAs("editor", <ConnectorsPage />);
    const button = await screen.findByRole("button", { name: /^Sync now/ });
    expect(button.textContent).toBe("Sync now Customer <b>API</b>"); // the connector's name for a screen reader
    fireEvent.click(button);
    expect(calls.find((c) => c.method === "POST")?.url).toBe("/api/demo-extension/connectors/7/sync_data/?wait=0&trigger=ui");
    const status = await screen.findByTestId("row-sync-status");
    await vi.waitFor(() => expect(status.textContent).toContain("RUNNING"));
    expect(status.textContent).toContain("25 records");
    expect(within(status).getByRole("link", { name: "Run #41" }).getAttribute("href")).toBe("/sync-logs/41");
    expect((screen.getByRole("button", { name: /^Syncing…/ }) as HTMLButtonElement).disabled).toBe(true);
    ended = true;
    await wait(POLL_INTERVAL_MS);
    await vi.waitFor(() => expect(status.textContent).toContain("SUCCESS"));
    expect(status.textContent).toContain("120 records");
    expect((screen.getByRole("button", { name: /^Sync now/ }) as HTMLButtonElement).disabled).toBe(false);
    // the list is read again: its last sync, runs and records follow the run
    await vi.waitFor(() => expect(calls.filter((c) => c.method === "GET" && c.url.startsWith("/api/demo-extension/connectors/?")).length).toBe(2));
  });

  it("says in the row that the run it follows waits for the API's rate limit, not that it is stuck", async () => {
    let paused = 38.2;
    fakeFetch((call) => {
      if (call.url.includes("/sync_data/")) return { status: 202, body: syncLog({ id: 41, status: "PENDING" }) };
      if (call.url.includes("/sync-logs/41/")) return { body: syncLog({ id: 41, status: "RUNNING", records_processed: 0, requests_paused_for: paused }) };
      return { body: page([connector()]) };
    });
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderAs("editor", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: /^Sync now/ }));
    const note = await screen.findByTestId("row-sync-paused");
    expect(note.textContent).toBe("Waiting for the API’s rate limit: 39\u00a0s more");
    expect(note.closest("[data-testid=row-sync-status]")).toBeTruthy();
    paused = 0;
    await wait(POLL_INTERVAL_MS);
    await vi.waitFor(() => expect(screen.queryByTestId("row-sync-paused")).toBeNull());
  });

  it("does not take the run it started for one started elsewhere while the list still names it", async () => {
    let started = false;
    fakeFetch((call) => {
      if (call.url.includes("/sync_data/")) {
        started = true;
        return { status: 202, body: syncLog({ id: 41, status: "PENDING" }) };
      }
      if (call.url.includes("/sync-logs/41/")) return { body: syncLog({ id: 41, status: "SUCCESS", records_processed: 120 }) };
      // a list read just before the run's end still names it
      return { body: page([connector(started ? { running_sync_id: 41, recent_statuses: ["RUNNING"] } : {})]) };
    });
    renderAs("editor", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: /^Sync now/ }));
    const status = await screen.findByTestId("row-sync-status");
    await vi.waitFor(() => expect(status.textContent).toContain("SUCCESS"));
    await vi.waitFor(() => expect(screen.getByRole("button", { name: /^Sync now/ })).toBeTruthy());
    expect(screen.queryByRole("link", { name: /^See its progress/ })).toBeNull();
    expect(screen.getAllByTestId("row-sync-status")).toHaveLength(1);
  });

  it("says in the row that a sync is already running (409) and follows that one", async () => {
    fakeFetch((call) => {
      if (call.url.includes("/sync_data/")) return { status: 409, body: { detail: "A sync of this connector is already in progress.", sync_log_id: 9 } };
      if (call.url.includes("/sync-logs/9/")) return { body: syncLog({ id: 9, status: "RUNNING", records_processed: 50 }) };
      return { body: page([connector()]) };
    });
    renderAs("editor", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: /^Sync now/ }));
    const status = await screen.findByTestId("row-sync-status");
    expect(status.textContent).toContain("A sync of this connector is already in progress.");
    expect(within(status).getByRole("link", { name: "Run #9" })).toBeTruthy();
    await vi.waitFor(() => expect(status.textContent).toContain("RUNNING"));
    expect((screen.getByRole("button", { name: /^Syncing…/ }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("keeps a refusal such as too many requests (429) in the row, and lets the user try again", async () => {
    fakeFetch((call) => {
      if (call.url.includes("/sync_data/")) return { status: 429, body: { detail: "Request was throttled. Expected available in 30 seconds." } };
      return { body: page([connector()]) };
    });
    renderAs("admin", <ConnectorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: /^Sync now/ }));
    const status = await screen.findByTestId("row-sync-status");
    expect(status.textContent).toBe("Request was throttled. Expected available in 30 seconds.");
    expect(status.classList.contains("error-text")).toBe(true);
    expect((screen.getByRole("button", { name: /^Sync now/ }) as HTMLButtonElement).disabled).toBe(false);
  });

  describe("a sync started elsewhere", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("shows in the row from the list data, and the list reads itself again until it ends", async () => {
      let statuses: Connector["recent_statuses"] = ["RUNNING", "SUCCESS"];
      const calls = fakeFetch(() => ({ body: page([connector({ recent_statuses: statuses })]) }));
      vi.useFakeTimers({ shouldAdvanceTime: true });
      renderAs("editor", <ConnectorsPage />);
      const button = (await screen.findByRole("button", { name: /^Syncing…/ })) as HTMLButtonElement;
      expect(button.disabled).toBe(true);
      const status = screen.getByTestId("row-sync-status");
      expect(status.textContent).toContain("RUNNING");
      expect(within(status).getByRole("link", { name: /^See its progress/ }).getAttribute("href")).toBe("/syncs?connector=7");
      expect(listCalls(calls)).toBe(1);

      statuses = ["SUCCESS", "SUCCESS"];
      await wait(REFRESH_FIRST_MS + 50);
      await vi.waitFor(() => expect(listCalls(calls)).toBe(2));
      expect(((await screen.findByRole("button", { name: /^Sync now/ })) as HTMLButtonElement).disabled).toBe(false);
      expect(screen.queryByTestId("row-sync-status")).toBeNull();
      // none runs any more: no further reads
      await wait(REFRESH_MAX_MS * 2);
      expect(listCalls(calls)).toBe(2);
    });

    it("links to the exact run the list names", async () => {
      fakeFetch(() => ({ body: page([connector({ running_sync_id: 41, recent_statuses: ["RUNNING"] })]) }));
      renderAs("editor", <ConnectorsPage />);
      const link = await screen.findByRole("link", { name: /^See its progress/ });
      expect(link.getAttribute("href")).toBe("/sync-logs/41");
    });

    it("counts a run the list names as running even before its status shows in the dots", async () => {
      fakeFetch(() => ({ body: page([connector({ running_sync_id: 41, recent_statuses: [] })]) }));
      renderAs("editor", <ConnectorsPage />);
      expect(((await screen.findByRole("button", { name: /^Syncing…/ })) as HTMLButtonElement).disabled).toBe(true);
    });

    it("reads the list less often while a run lasts, never less than every REFRESH_MAX_MS", async () => {
      const calls = fakeFetch(() => ({ body: page([connector({ recent_statuses: ["PENDING"] })]) }));
      vi.useFakeTimers({ shouldAdvanceTime: true });
      renderAs("viewer", <ConnectorsPage />);
      await screen.findByRole("link", { name: "Customer <b>API</b>" });
      await wait(REFRESH_FIRST_MS + 50);
      await vi.waitFor(() => expect(listCalls(calls)).toBe(2));
      await wait(REFRESH_FIRST_MS + 50); // the second wait is 1.5 times the first
      expect(listCalls(calls)).toBe(2);
      await wait(REFRESH_FIRST_MS);
      await vi.waitFor(() => expect(listCalls(calls)).toBe(3));
      for (let step = 0; step < 40; step += 1) await wait(REFRESH_MAX_MS / 4); // ten maximal waits
      const after = listCalls(calls);
      expect(after).toBeGreaterThan(10);
      expect(after).toBeLessThan(20);
    });

    it.each(["viewer", "editor"] as const)("announces its outcome to a %s when it ends while the list is open", async (role) => {
      let running = true;
      const calls = fakeFetch((call) => {
        if (call.url.includes("/sync-logs/41/")) return { body: syncLog({ id: 41, status: "PARTIAL", records_processed: 1200 }) };
        return { body: page([connector(running ? { running_sync_id: 41, recent_statuses: ["RUNNING"] } : { recent_statuses: ["PARTIAL"] })]) };
      });
      vi.useFakeTimers({ shouldAdvanceTime: true });
      renderAs(role, withAnnouncer());
      await screen.findByRole("link", { name: "Customer <b>API</b>" });
      const said = announcements();
      running = false;
      await wait(REFRESH_FIRST_MS + 50);
      await vi.waitFor(() => expect(said).toContain("The Customer <b>API</b> sync, run #41, ended: PARTIAL, 1,200 records."));
      expect(calls.filter((c) => c.url.includes("/sync-logs/41/"))).toHaveLength(1);
    });

    it("announces nothing for a run that still runs, or for a connector that left the list", async () => {
      const calls = fakeFetch((call) => {
        if (call.url.includes("search=")) return { body: page([]) };
        return { body: page([connector({ running_sync_id: 41, recent_statuses: ["RUNNING"] })]) };
      });
      vi.useFakeTimers({ shouldAdvanceTime: true });
      renderAs("editor", withAnnouncer());
      await screen.findByRole("link", { name: "Customer <b>API</b>" });
      await wait(REFRESH_FIRST_MS + 50);
      await vi.waitFor(() => expect(listCalls(calls)).toBe(2));
      fireEvent.change(screen.getByLabelText("Search connectors by name"), { target: { value: "other" } });
      fireEvent.click(screen.getByRole("button", { name: "Search" }));
      await screen.findByText('No connector name matches "other".');
      await wait(REFRESH_MAX_MS);
      expect(calls.filter((c) => c.url.includes("/sync-logs/"))).toHaveLength(0);
    });

    /** The connectors list in a tab that watches run `logId` (a sync started on another page). */
    function renderWatching(logId: number) {
      function WatchedElsewhere() {
        const { watch } = useSyncWatch();
        useEffect(() => watch(logId), [watch]);
        return null;
      }
      renderAs(
        "editor",
        <AnnouncerProvider>
          <SyncWatchProvider>
            <WatchedElsewhere />
            <ConnectorsPage />
          </SyncWatchProvider>
        </AnnouncerProvider>,
      );
    }

    it("leaves a run this tab watches (started on another page) to the tab's notice: said once", async () => {
      let running = true;
      fakeFetch((call) => {
        if (call.url.includes("/sync-logs/41/")) return { body: syncLog({ id: 41, status: running ? "RUNNING" : "FAILED", connector_name: "Customer <b>API</b>" }) };
        return { body: page([connector(running ? { running_sync_id: 41, recent_statuses: ["RUNNING"] } : { recent_statuses: ["FAILED"] })]) };
      });
      vi.useFakeTimers({ shouldAdvanceTime: true });
      renderWatching(41);
      await screen.findByRole("link", { name: "Customer <b>API</b>" });
      const said = announcements();
      running = false;
      await wait(REFRESH_FIRST_MS + 50);
      await vi.waitFor(() => expect(said.filter((text) => text.includes("run #41, ended"))).toHaveLength(1));
      await wait(REFRESH_MAX_MS);
      expect(said.filter((text) => text.includes("run #41, ended"))).toEqual(["The Customer <b>API</b> sync, run #41, ended: FAILED."]);
    });

    it("stops watching a run this tab started once it is gone (a 404), without a notice", async () => {
      const calls = fakeFetch((call) => (call.url.includes("/sync-logs/41/") ? { status: 404, body: { detail: "Not found." } } : { body: page([connector()]) }));
      vi.useFakeTimers({ shouldAdvanceTime: true });
      renderWatching(41);
      await screen.findByRole("link", { name: "Customer <b>API</b>" });
      await wait(WATCH_INTERVAL_MS + 50);
      await vi.waitFor(() => expect(calls.filter((c) => c.url.includes("/sync-logs/41/"))).toHaveLength(1));
      await wait(WATCH_INTERVAL_MS * 5);
      expect(calls.filter((c) => c.url.includes("/sync-logs/41/"))).toHaveLength(1);
      expect(screen.queryByTestId("sync-notices")).toBeNull();
    });

    it("leaves the announcement of a run the row follows to the row: said once", async () => {
      let started = false;
      let rowRun: SyncLogDetail["status"] = "RUNNING";
      fakeFetch((call) => {
        if (call.url.includes("/sync_data/")) {
          started = true;
          return { status: 202, body: syncLog({ id: 41, status: "PENDING" }) };
        }
        if (call.url.includes("/sync-logs/41/")) return { body: syncLog({ id: 41, status: rowRun, records_processed: 120 }) };
        const listed = started && rowRun === "RUNNING" ? { running_sync_id: 41, recent_statuses: ["RUNNING" as const] } : {};
        // another connector's run keeps the list reading itself while the row's run goes on
        return { body: page([connector(listed), connector({ id: 8, name: "Other", running_sync_id: 50, recent_statuses: ["RUNNING"] })]) };
      });
      vi.useFakeTimers({ shouldAdvanceTime: true });
      renderAs("editor", withAnnouncer());
      await screen.findByRole("link", { name: "Other" });
      const said = announcements();
      fireEvent.click(screen.getByRole("button", { name: /^Sync now/ }));
      await wait(REFRESH_FIRST_MS + 50); // a list read names the row's run
      rowRun = "SUCCESS";
      await wait(2000);
      await vi.waitFor(() => expect(said.filter((text) => text.includes("run #41, ended"))).toHaveLength(1));
      await wait(REFRESH_MAX_MS);
      expect(said.filter((text) => text.includes("run #41, ended"))).toEqual(["The Customer <b>API</b> sync, run #41, ended: SUCCESS, 120 records."]);
    });
  });
});
