import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router-dom";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import { AppShell, LAZY_PAGES } from "./App";
import { setTokens } from "./api/client";
import type { SyncLogDetail } from "./api/types";
import { POLL_INTERVAL_MS } from "./hooks";
import { WATCH_INTERVAL_MS } from "./syncWatch";
import { connector, emptyPage, fakeFetch, holdAnswers, me, syncLog, type FakeCall } from "./test/helpers";

/** The app as main.tsx renders it, in a memory data router (the same one route as createAppRouter). */
function renderApp(path: string, before: string[] = []) {
  setTokens({ access: "a", refresh: "r" });
  const router = createMemoryRouter([{ path: "*", element: <AppShell /> }], { initialEntries: [...before, path], initialIndex: before.length });
  return { ...render(<RouterProvider router={router} />), router };
}

function api(role: "viewer" | "editor" | "admin", answer: (call: FakeCall) => { status?: number; body?: unknown } | null = () => null) {
  return fakeFetch((call) => {
    const special = answer(call);
    if (special) return special;
    if (call.url === "/api/auth/me/") return { body: me(role) };
    if (call.url.startsWith("/api/demo-extension/connectors/stats/history/")) return { body: { days: [] } };
    if (call.url === "/api/demo-extension/connectors/stats/")
      return { body: { total_connectors: 1, active_connectors: 1, total_records_synced: 0, last_24h_syncs: 0, success_rate: 0, avg_sync_duration: 0 } };
    return { body: emptyPage };
  });
}

// The pages fetched on first visit (lazyPage.tsx) are compiled on first import in this file's fresh
// process: seconds on a loaded machine, spent here rather than in whichever test opens a page first
// (as src/test/setup.ts does for React's own code). The pages still render through React.lazy and
// Suspense: the tests wait for them with findBy*.
beforeAll(async () => {
  await Promise.all(LAZY_PAGES.map((page) => page.preload()));
});

afterEach(() => {
  vi.useRealTimers();
});

/** The connector page of an editor who started a sync there: run #9, RUNNING until the returned
 * function ends it (SUCCESS, 120 records), on fake timers that still advance. */
async function startRunNineOnTheConnectorPage(warnings: string[] = [], ended: Partial<SyncLogDetail> = {}): Promise<() => void> {
  let status: "RUNNING" | "SUCCESS" = "RUNNING";
  api("editor", (call) => {
    if (call.url === "/api/demo-extension/connectors/7/") return { body: connector() };
    if (call.url.includes("/sync_data/")) return { status: 202, body: syncLog({ id: 9, status: "PENDING" }) };
    if (call.url === "/api/demo-extension/sync-logs/9/")
      return { body: syncLog({ id: 9, status, records_processed: 120, ...(status === "RUNNING" ? {} : { warnings, warnings_count: warnings.length, ...ended }) }) };
    return null;
  });
  vi.useFakeTimers({ shouldAdvanceTime: true });
  renderApp("/connectors/7");
  fireEvent.click(await screen.findByRole("button", { name: "Sync now" }));
  await within(await screen.findByTestId("sync-progress")).findByRole("link", { name: "run #9" });
  // the start is said before the run goes on
  await vi.waitFor(() => expect(screen.getByTestId("announcer").textContent).toContain("Sync started: run #9."));
  return () => {
    status = "SUCCESS";
  };
}

describe("the app shell", () => {
  it("says on every page when the installation's background work has stopped", async () => {
    const message = "Nothing has run in the background for 7 min (last at 10:12 UTC): queued and scheduled syncs, destination loads and webhook deliveries wait until a Celery worker and the beat scheduler run and reach the broker (README, Production).";
    api("viewer", (call) =>
      call.url === "/api/status/"
        ? { body: { background: { state: "stopped", last_tick_at: "2026-12-07T10:12:30Z", seconds_since_last_tick: 421, stale_after_seconds: 180, message } } }
        : null,
    );
    renderApp("/syncs");

    const banner = await screen.findByTestId("background-stopped");
    expect(banner.textContent).toContain(message);
    expect(screen.getByRole("main").contains(banner)).toBe(true);
  });

  it("opens the connector's edit form at /connectors/:id/edit", async () => {
    api("editor", (call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector() } : null));
    renderApp("/connectors/7/edit");
    expect(await screen.findByRole("form", { name: "Edit connector" })).toBeTruthy();
    expect(screen.queryByRole("heading", { name: "Page not found" })).toBeNull();
  });

  it("shows a viewer the connector, not an edit form, at /connectors/:id/edit", async () => {
    api("viewer", (call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector() } : null));
    renderApp("/connectors/7/edit");
    expect(await screen.findByRole("heading", { name: "Details" })).toBeTruthy();
    expect(screen.queryByRole("form", { name: "Edit connector" })).toBeNull();
    expect(screen.getByTestId("role-needed").textContent).toBe("Editing connectors needs the editor role; you are a viewer. The connector's settings are below.");
  });

  it("tells a viewer at /connectors/new that creating connectors needs the editor role, with a way back", async () => {
    api("viewer");
    const { router } = renderApp("/connectors/new");
    expect(await screen.findByRole("heading", { level: 1, name: "New connector" })).toBeTruthy();
    expect(screen.getByTestId("role-needed").textContent).toBe(
      "Creating connectors needs the editor role; you are a viewer. An admin of the tenant can give you the editor role.",
    );
    expect(screen.queryByRole("form", { name: "New connector" })).toBeNull();
    expect(router.state.location.pathname).toBe("/connectors/new");
    fireEvent.click(within(screen.getByRole("main")).getByRole("link", { name: "Back to the connectors" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Connectors" })).toBeTruthy();
  });

  it("opens the wizard at /connectors/new for an editor, with no role notice", async () => {
    api("editor");
    renderApp("/connectors/new");
    expect(await screen.findByRole("form", { name: "New connector" })).toBeTruthy();
    expect(screen.queryByTestId("role-needed")).toBeNull();
  });

  it("shows its own page-not-found for an unknown address, with the page title", async () => {
    api("viewer");
    renderApp("/nope");
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeTruthy();
    await vi.waitFor(() => expect(document.title).toBe("Page not found · MigrateIQ"));
    expect(within(screen.getByRole("main")).getByRole("link", { name: "Dashboard" })).toBeTruthy();
  });

  it("names each page in the document title and announces it", async () => {
    api("viewer");
    renderApp("/syncs");
    await screen.findByRole("heading", { name: "Syncs" });
    await vi.waitFor(() => expect(document.title).toBe("Syncs · MigrateIQ"));
    await vi.waitFor(() => expect(screen.getByTestId("announcer").textContent).toBe("Syncs"));
  });

  it("leaves the focus at the start of the page the document opened on, and moves it to the heading after a navigation", async () => {
    api("viewer");
    const { router } = renderApp("/");
    await screen.findByRole("heading", { level: 1, name: "Dashboard" });
    expect(document.activeElement).toBe(document.body); // the skip link is the first Tab stop
    await act(async () => router.navigate("/syncs"));
    const syncs = await screen.findByRole("heading", { level: 1, name: "Syncs" });
    await vi.waitFor(() => expect(document.activeElement).toBe(syncs));
    // Back to the entry the document opened on is a navigation too
    await act(async () => router.navigate(-1));
    const dashboard = await screen.findByRole("heading", { level: 1, name: "Dashboard" });
    await vi.waitFor(() => expect(document.activeElement).toBe(dashboard));
  });

  it("gives a page loading its data a level-one heading, and moves the focus to the page's own when it arrives", async () => {
    api("viewer", (call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector() } : null));
    const release = holdAnswers("/connectors/7/");
    const { router } = renderApp("/");
    await screen.findByRole("heading", { level: 1, name: "Dashboard" });
    await act(async () => router.navigate("/connectors/7"));
    const loading = await screen.findByRole("heading", { level: 1, name: "Connector #7" });
    expect(screen.getByText("Loading the connector…").getAttribute("role")).toBe("status");
    expect(document.activeElement).not.toBe(loading);
    release();
    const heading = await screen.findByRole("heading", { level: 1, name: "Customer <b>API</b>" });
    await vi.waitFor(() => expect(document.activeElement).toBe(heading));
  });

  it("has a profile menu with the tenant and the role", async () => {
    api("editor");
    renderApp("/");
    const menu = await screen.findByTestId("who");
    fireEvent.click(menu.querySelector("summary")!);
    expect(within(menu).getByText("Acme")).toBeTruthy();
    expect(within(menu.querySelector(".profile-panel") as HTMLElement).getByText("editor")).toBeTruthy();
    expect(within(menu).getByRole("button", { name: "Sign out" })).toBeTruthy();
  });

  it("names the account by the part of its email before the @ where the bar is short, and shows the whole email in the menu", async () => {
    api("editor");
    renderApp("/");
    const menu = await screen.findByTestId("who");
    const summary = menu.querySelector("summary")!;
    // on a phone the domain part is hidden visually only (styles.css): still read out, and in the title
    expect(summary.querySelector(".who-local")!.textContent).toBe("editor");
    expect(summary.querySelector(".who-domain")!.textContent).toBe("@acme.test");
    expect(summary.textContent).toBe("editor@acme.test: account menu");
    expect(summary.getAttribute("title")).toBe("editor@acme.test");
    fireEvent.click(summary);
    const email = within(menu.querySelector(".profile-panel") as HTMLElement).getByText("editor@acme.test");
    expect(email.className).toBe("who-full-email");
  });

  it("closes the profile menu on Escape and puts the focus back on its summary", async () => {
    api("editor");
    renderApp("/");
    const menu = (await screen.findByTestId("who")) as HTMLDetailsElement;
    const summary = menu.querySelector("summary")!;
    fireEvent.click(summary);
    expect(menu.open).toBe(true);
    const signOut = within(menu).getByRole("button", { name: "Sign out" });
    signOut.focus();
    fireEvent.keyDown(signOut, { key: "Escape" });
    expect(menu.open).toBe(false);
    expect(document.activeElement).toBe(summary);
  });

  it("shows the Members page in the navigation to admins only", async () => {
    api("editor");
    const { unmount } = renderApp("/");
    await screen.findByRole("heading", { name: "Dashboard" });
    expect(screen.queryByRole("link", { name: "Members" })).toBeNull();
    unmount();
    api("admin");
    renderApp("/");
    await screen.findByRole("heading", { name: "Dashboard" });
    expect(screen.getByRole("link", { name: "Members" })).toBeTruthy();
  });

  it("links the Webhooks and Audit pages for admins only, and says so to others who open them", async () => {
    api("editor");
    const { unmount } = renderApp("/webhooks");
    expect(await screen.findByText(/^Only the tenant's admins manage its webhooks/)).toBeTruthy();
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).queryByRole("link", { name: "Webhooks" })).toBeNull();
    expect(within(nav).queryByRole("link", { name: "Audit" })).toBeNull();
    unmount();
    api("admin");
    renderApp("/");
    await screen.findByRole("heading", { name: "Dashboard" });
    const adminNav = screen.getByRole("navigation", { name: "Main" });
    expect(within(adminNav).getAllByRole("link").map((link) => link.textContent)).toEqual([
      "Dashboard",
      "Connectors",
      "Syncs",
      "Destinations",
      "Members",
      "Webhooks",
      "Audit",
    ]);
    fireEvent.click(within(adminNav).getByRole("link", { name: "Audit" }));
    expect(await screen.findByRole("heading", { name: "Audit trail" })).toBeTruthy();
  });

  it("neither links nor has the page of a module the server does not have installed", async () => {
    api("admin", (call) => (call.url === "/api/auth/me/" ? { body: { ...me("admin"), modules: ["demo_extension", "audit"] } } : null));
    renderApp("/webhooks");
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeTruthy();
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(within(nav).queryByRole("link", { name: "Webhooks" })).toBeNull();
    expect(within(nav).getByRole("link", { name: "Audit" })).toBeTruthy();
  });

  it("charts the dashboard's last 30 days", async () => {
    const days = Array.from({ length: 30 }, (_, index) => ({
      date: `2026-11-${String(index + 1).padStart(2, "0")}`,
      syncs: { PENDING: 0, RUNNING: 0, SUCCESS: index % 3, PARTIAL: 0, FAILED: index === 29 ? 1 : 0, CANCELLED: 0 },
      records_processed: index * 10,
    }));
    api("viewer", (call) => (call.url.startsWith("/api/demo-extension/connectors/stats/history/") ? { body: { days } } : null));
    renderApp("/");
    const syncs = await screen.findByTestId("chart-syncs-per-day");
    expect(syncs.querySelectorAll("[data-testid='chart-bar']")).toHaveLength(30);
    expect(Array.from(syncs.querySelectorAll("svg > g[aria-hidden='true'] > text")).map((tick) => tick.textContent)).toEqual(["0", "1", "2", "3"]);
    expect(screen.getByTestId("chart-records-per-day").querySelector("[role='img']")?.getAttribute("aria-label")).toContain("4,350 records in all");
  });

  it("tells the user when a sync they started ends, also on another page", async () => {
    const endTheRun = await startRunNineOnTheConnectorPage();
    fireEvent.click(screen.getByRole("link", { name: "Syncs" })); // leave the connector's page
    await screen.findByRole("heading", { name: "Syncs" });
    endTheRun();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(WATCH_INTERVAL_MS);
    });
    const notice = await screen.findByTestId("sync-notices");
    expect(notice.textContent).toContain("ended: SUCCESS");
    expect(notice.textContent).toContain("120 records");
    await vi.waitFor(() => expect(screen.getByTestId("announcer").textContent).toContain("The Customer API sync, run #9, ended: SUCCESS."));
  });

  it("says in the notice how many records a sync marked deleted, so an emptying full refresh is no no-op", async () => {
    const endTheRun = await startRunNineOnTheConnectorPage([], { records_processed: 0, records_deleted: 500, full_refresh: true });
    fireEvent.click(screen.getByRole("link", { name: "Syncs" }));
    await screen.findByRole("heading", { name: "Syncs" });
    endTheRun();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(WATCH_INTERVAL_MS);
    });
    const notice = await screen.findByTestId("sync-notices");
    expect(notice.textContent).toContain("ended: SUCCESS (0 records, 500 deleted)");
  });

  it("says in the notice that a sync ended SUCCESS with warnings, not as a clean success", async () => {
    const endTheRun = await startRunNineOnTheConnectorPage(["No record of the first page has the primary key 'user_id'."]);
    fireEvent.click(screen.getByRole("link", { name: "Syncs" }));
    await screen.findByRole("heading", { name: "Syncs" });
    endTheRun();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(WATCH_INTERVAL_MS);
    });
    const notice = await screen.findByTestId("sync-notices");
    expect(notice.textContent).toContain("ended: SUCCESS · 1 warning");
    await vi.waitFor(() => expect(screen.getByTestId("announcer").textContent).toContain("run #9, ended: SUCCESS · 1 warning."));
  });

  it("says the end of a sync once where the page that started it follows it, and shows the notice", async () => {
    const endTheRun = await startRunNineOnTheConnectorPage();
    const said: string[] = [];
    const announcer = screen.getByTestId("announcer");
    const observer = new MutationObserver(() => {
      if (announcer.textContent) said.push(announcer.textContent);
    });
    observer.observe(announcer, { childList: true, characterData: true, subtree: true });
    endTheRun();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(Math.max(WATCH_INTERVAL_MS, POLL_INTERVAL_MS) * 3);
    });
    await screen.findByTestId("sync-notices");
    await act(async () => {
      await vi.advanceTimersByTimeAsync(Math.max(WATCH_INTERVAL_MS, POLL_INTERVAL_MS) * 2); // every announcement out
    });
    observer.disconnect();
    const ends = said.filter((text) => text.includes("run #9") || text.includes("Run #9"));
    expect(ends).toEqual(["Run #9 finished: SUCCESS, 120 records."]);
  });

  it("holds the Back button while the connector's edit form has unsaved edits, in the app's own dialog", async () => {
    api("editor", (call) => (call.url === "/api/demo-extension/connectors/7/" ? { body: connector() } : null));
    const { router } = renderApp("/connectors/7", ["/syncs"]);
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    fireEvent.change(within(screen.getByRole("form", { name: "Edit connector" })).getByLabelText("Name"), { target: { value: "Renamed" } });
    await act(async () => {
      await router.navigate(-1);
    });
    const dialog = screen.getByRole("alertdialog", { name: "Leave with unsaved changes?" });
    expect(screen.getByRole("main").closest("[inert]")).not.toBeNull();
    fireEvent.click(within(dialog).getByRole("button", { name: "Stay on this page" }));
    expect(router.state.location.pathname).toBe("/connectors/7");
    expect(screen.getByRole("form", { name: "Edit connector" })).toBeTruthy();
    fireEvent.click(screen.getByRole("link", { name: "Syncs" }));
    fireEvent.click(screen.getByRole("button", { name: "Discard and leave" }));
    expect(await screen.findByRole("heading", { name: "Syncs" })).toBeTruthy();
  });
});

describe("a server that does not answer when the app opens", () => {
  it("says it cannot reach the server instead of asking to sign in, keeps the session, and goes on once it answers", async () => {
    let down = true;
    api("viewer", () => {
      if (down) throw new TypeError("Failed to fetch");
      return null;
    });
    renderApp("/syncs");
    expect(await screen.findByRole("heading", { level: 1, name: "Cannot reach the MigrateIQ server" })).toBeTruthy();
    expect(screen.queryByRole("form", { name: "Sign in" })).toBeNull();
    expect(screen.getByRole("alert").textContent).toContain("The browser got no answer from the server");
    expect(window.sessionStorage.getItem("migrateiq.tokens")).not.toBeNull();
    await vi.waitFor(() => expect(document.title).toBe("Cannot reach the server · MigrateIQ"));
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Cannot reach the MigrateIQ server" })).toBeTruthy();
    down = false;
    // (the button is back once the first retry has been answered: on a loaded machine, later than the heading)
    fireEvent.click(await screen.findByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Syncs" })).toBeTruthy();
    expect(screen.queryByTestId("server-unavailable")).toBeNull();
  });

  it("names the status and the request id of a server that failed with an HTML page", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response("<html><body>Bad gateway</body></html>", { status: 502, headers: { "Content-Type": "text/html", "X-Request-ID": "a1b2c3d4e5" } })),
    );
    renderApp("/");
    const page = await screen.findByTestId("server-unavailable");
    const alert = within(page).getByRole("alert");
    expect(alert.querySelector("p")?.textContent).toBe("The server failed with HTTP 502 and sent no explanation.");
    expect(alert.textContent).toContain("look for request id a1b2c3d4e5");
    expect(screen.queryByRole("form", { name: "Sign in" })).toBeNull();
  });

  it("asks to sign in when the server refuses the session (401), as before", async () => {
    api("viewer", (call) => (call.url === "/api/auth/me/" || call.url === "/api/auth/token/refresh/" ? { status: 401, body: { detail: "Token is invalid." } } : null));
    renderApp("/syncs");
    expect(await screen.findByRole("form", { name: "Sign in" })).toBeTruthy();
    expect(screen.queryByTestId("server-unavailable")).toBeNull();
  });
});

describe("the navigation on a phone", () => {
  it("folds behind a Menu button that says whether it is open, closes with Escape back on the button, and after a link", async () => {
    api("admin");
    renderApp("/syncs");
    await screen.findByRole("heading", { level: 1, name: "Syncs" });
    const button = screen.getByRole("button", { name: "Menu" });
    const nav = screen.getByRole("navigation", { name: "Main" });
    expect(button.getAttribute("aria-controls")).toBe(nav.id);
    expect(button.getAttribute("aria-expanded")).toBe("false");
    expect(nav.classList.contains("nav-open")).toBe(false);
    fireEvent.click(button);
    expect(button.getAttribute("aria-expanded")).toBe("true");
    expect(nav.classList.contains("nav-open")).toBe(true);
    const link = within(nav).getByRole("link", { name: "Destinations" });
    link.focus();
    fireEvent.keyDown(link, { key: "Escape" });
    expect(button.getAttribute("aria-expanded")).toBe("false");
    expect(document.activeElement).toBe(button);
    fireEvent.click(button);
    fireEvent.keyDown(button, { key: "Escape" });
    expect(button.getAttribute("aria-expanded")).toBe("false");
    fireEvent.click(button);
    fireEvent.click(within(nav).getByRole("link", { name: "Destinations" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Destinations" })).toBeTruthy();
    expect(button.getAttribute("aria-expanded")).toBe("false");
    expect(nav.classList.contains("nav-open")).toBe(false);
  });
});
