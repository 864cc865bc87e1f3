import { act, fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { AnnouncerProvider } from "../announce";
import type { AuditEvent } from "../api/types";
import { fakeFetch, renderAs, type FakeCall } from "../test/helpers";
import { formatDateTime } from "../format";
import { ADMINS_ONLY, AuditPage, partialMatches, shownValue } from "./AuditPage";

const event = (id: number, overrides: Partial<AuditEvent> = {}): AuditEvent => ({
  id,
  at: "2026-12-04T18:00:00Z",
  actor: { id: 3, email: "ada@acme.test", anonymous: false },
  action: "connector.changed",
  target_type: "connector",
  target_id: "12",
  fields: ["api_key", "name"],
  detail: { name: "CRM" },
  ip: "203.0.113.9",
  request_id: "req-1",
  objects: [{ where: "target", type: "connector", id: "12", exists: true, name: null }],
  ...overrides,
});

/** Run #40's start, of connector #4 (which exists, named `connectorName` by the API). */
const runStarted = (detail: AuditEvent["detail"], connectorName: string | null): AuditEvent =>
  event(2, {
    action: "sync.started",
    target_type: "sync_log",
    target_id: "40",
    detail,
    objects: [
      { where: "target", type: "sync_log", id: "40", exists: true, name: null },
      { where: "connector_id", type: "connector", id: "4", exists: true, name: connectorName },
    ],
  });

const page = (results: AuditEvent[], count = results.length) => ({ body: { count, next: null, previous: null, results } });

const VALUES = "/api/audit/events/values/";
const recorded = { actions: ["auth.sign_in_failed", "connector.exported", "member.added"], target_types: ["connector", "user"] };

/** The events list's calls (the filters' values are answered with `values` and kept apart). */
function api(answer: (call: FakeCall) => { status?: number; body?: unknown }, values: { status?: number; body?: unknown } = { body: recorded }) {
  const all = fakeFetch((call) => (call.url.startsWith(VALUES) ? values : answer(call)));
  return new Proxy([] as FakeCall[], {
    get: (_, name) => Reflect.get(all.filter((call) => !call.url.startsWith(VALUES)), name),
  });
}

const valuesCalls = () =>
  vi.mocked(fetch).mock.calls.filter(([url]) => String(url).startsWith(VALUES));

const offered = (label: string) => {
  const input = screen.getByLabelText(label) as HTMLInputElement;
  return Array.from(document.querySelectorAll(`#${input.getAttribute("list")} option`)).map((o) => o.getAttribute("value"));
};

const renderPage = (role: "viewer" | "editor" | "admin" = "admin", path = "/audit") =>
  renderAs(
    role,
    <AnnouncerProvider>
      <AuditPage />
    </AnnouncerProvider>,
    path,
    "/audit",
  );

const query = (call: FakeCall) => new URL(call.url, "http://x").searchParams;

describe("the audit page", () => {
  it("says plainly that it is for admins, and asks the API nothing, for a viewer or an editor", () => {
    for (const role of ["viewer", "editor"] as const) {
      const calls = api(() => page([]));
      const { unmount } = renderPage(role);
      expect(screen.getByRole("heading", { name: "Audit trail" })).toBeTruthy();
      expect(screen.getByText(ADMINS_ONLY)).toBeTruthy();
      expect(screen.queryByRole("table")).toBeNull();
      expect(calls).toHaveLength(0);
      expect(valuesCalls()).toHaveLength(0);
      unmount();
    }
  });

  it("shows a refused sign-in as anonymous with the email tried, not as the system", async () => {
    api(() =>
      page([
        event(3, {
          actor: { id: null, email: "", anonymous: true },
          action: "auth.sign_in_failed",
          target_type: "user",
          target_id: "1",
          fields: [],
          detail: { email: "admin@demo.local", reason: "invalid_credentials" },
          ip: "127.0.0.1",
        }),
      ]),
    );
    renderPage();
    const row = await screen.findByTestId("audit-event-3");
    expect(within(row).getByText("Anonymous (email tried: admin@demo.local)")).toBeTruthy();
    expect(within(row).queryByText("System")).toBeNull();
    expect(within(row).queryByRole("button", { name: /Only theirs/ })).toBeNull();
  });

  it("lists who did what on which object, when, with the details, newest first", async () => {
    const calls = api(() =>
      page([
        event(2),
        event(1, { actor: null, action: "sync.started", target_type: "sync_log", target_id: "40", fields: [], detail: { triggered_by: "schedule", full_refresh: false }, ip: null }),
      ]),
    );
    renderPage();
    const row = await screen.findByTestId("audit-event-2");
    expect(query(calls[0]!).get("ordering")).toBe("-at");
    expect(calls[0]!.url.startsWith("/api/audit/events/")).toBe(true);
    expect(within(row).getByText("ada@acme.test")).toBeTruthy();
    expect(within(row).getByText("connector.changed")).toBeTruthy();
    expect(within(row).getByRole("link", { name: "connector #12" }).getAttribute("href")).toBe("/connectors/12");
    expect(within(row).getByText("api_key, name")).toBeTruthy();
    expect(within(row).getByText("CRM")).toBeTruthy();
    expect(within(row).getByText("203.0.113.9")).toBeTruthy();
    expect(within(row).getByText(/2026/)).toBeTruthy();
    const system = screen.getByTestId("audit-event-1");
    expect(within(system).getByText("System")).toBeTruthy();
    // what started the run in the words of the runs' Trigger column, a flag as yes or no: no codes
    const details = [...within(system).getAllByRole("term")].map((term) => `${term.textContent}: ${term.nextElementSibling?.textContent}`);
    expect(details).toEqual(["trigger: Schedule", "full refresh: no"]);
    expect(within(system).queryByText("schedule")).toBeNull();
    expect(within(system).getByRole("link", { name: "sync_log #40" }).getAttribute("href")).toBe("/sync-logs/40");
    const headers = within(screen.getByRole("table", { name: "Audit events" })).getAllByRole("columnheader").map((th) => th.textContent);
    expect(headers).toEqual(["When", "Who", "Action", "Object", "Details"]);
  });

  it("shows the details readably, not as raw JSON: none as —, counts with separators, instants as dates, lists and objects as key: value, the raw JSON behind a disclosure", async () => {
    const detail = {
      format: "csv",
      since: null,
      search_field: null,
      include_deleted: false,
      rows: 12345,
      retries: 0,
      request_id: 98765,
      tags: ["a", "b"],
      empty: [],
      at: "2026-12-04T18:00:00Z",
      changes: { role: { from: "viewer", to: "editor" }, active: true, note: null },
    };
    api(() => page([event(5, { action: "connector.exported", fields: [], detail, ip: null })]));
    renderPage();
    const row = await screen.findByTestId("audit-event-5");
    const cell = row.querySelector(".audit-details") as HTMLElement;
    const terms = [...cell.querySelector("dl")!.children].map((item) => {
      const [term, value] = item.children;
      return `${term!.textContent}: ${value!.querySelector("dl") ? "(list)" : value!.textContent}`;
    });
    expect(terms).toEqual([
      "format: csv",
      "since: —",
      "search_field: —",
      "include_deleted: no",
      "rows: 12,345",
      "retries: 0",
      "request_id: 98765",
      "tags: a, b",
      "empty: none",
      `at: ${formatDateTime("2026-12-04T18:00:00Z")}`,
      "changes: (list)",
    ]);
    const nested = [...cell.querySelectorAll(".nested-details > div")].map((item) => `${item.children[0]!.textContent}=${item.children[1]!.textContent}`);
    expect(nested).toEqual(["role=fromviewertoeditor", "from=viewer", "to=editor", "active=yes", "note=—"]);
    // no raw null or JSON outside the disclosure
    const shown = [...cell.querySelectorAll("dd")].map((dd) => dd.textContent).join(" ");
    expect(shown).not.toMatch(/null|\{|"/);
    const raw = within(row).getByText("Raw JSON").closest("details") as HTMLDetailsElement;
    expect(raw.open).toBe(false);
    expect(JSON.parse(raw.querySelector("pre")!.textContent!)).toEqual(detail);
    expect(cell.lastElementChild).toBe(raw); // after the details, the fields and the address
  });

  it("offers no raw JSON for details that are text shown as recorded: it would repeat them", async () => {
    api(() => page([event(6, { detail: { name: "CRM", email: "ada@acme.test" } }), event(7, { detail: { name: "CRM", triggered_by: "ui" } })]));
    renderPage();
    expect(within(await screen.findByTestId("audit-event-6")).queryByText("Raw JSON")).toBeNull();
    expect(within(screen.getByTestId("audit-event-7")).getByText("Raw JSON")).toBeTruthy(); // "ui" is shown as "Web UI"
  });

  it("says a detail's value in words: shownValue", () => {
    expect(shownValue("since", null)).toBe("—");
    expect(shownValue("full_refresh", true)).toBe("yes");
    expect(shownValue("records", 1234567)).toBe("1,234,567");
    expect(shownValue("connector_id", 1234)).toBe("1234");
    expect(shownValue("fields", [])).toBe("none");
    expect(shownValue("fields", ["id", null, 3])).toBe("id, —, 3");
    expect(shownValue("triggered_by", "ui")).toBe("Web UI");
    expect(shownValue("reason", "invalid_credentials")).toBe("invalid_credentials");
  });

  it("is a card per event on a phone, each value under its column's name, not a table to scroll sideways", async () => {
    api(() => page([event(2)]));
    renderPage();
    const row = await screen.findByTestId("audit-event-2");
    const table = screen.getByRole("table", { name: "Audit events" });
    expect(table.classList.contains("table-stack")).toBe(true); // styles.css stacks it under 640 px
    const headers = within(table).getAllByRole("columnheader").map((th) => th.textContent);
    expect(within(row).getAllByRole("cell").map((cell) => cell.getAttribute("data-label"))).toEqual(headers);
  });

  it("links the objects an event names while they exist, and says plainly which were deleted", async () => {
    api(() =>
      page([
        runStarted({ connector_id: 4, pages: 3 }, null),
        event(1, {
          action: "destination.attached",
          target_type: "destination",
          target_id: "7",
          detail: { connector_id: 9 },
          objects: [
            { where: "target", type: "destination", id: "7", exists: true, name: null },
            { where: "connector_id", type: "connector", id: "9", exists: false, name: null },
          ],
        }),
      ]),
    );
    renderPage();
    const started = await screen.findByTestId("audit-event-2");
    expect(within(started).getByRole("link", { name: "connector #4" }).getAttribute("href")).toBe("/connectors/4");
    // never broken a letter a line in the narrow Details column of a phone (styles.css)
    expect(within(started).getByRole("link", { name: "connector #4" }).className).toBe("audit-object");
    expect(within(started).getByText("3")).toBeTruthy(); // a value that names no object stays text
    // the object's kind names the detail, not the code connector_id beside "connector #4"
    expect(within(started).getAllByRole("term").map((term) => term.textContent)).toEqual(["connector", "pages"]);
    const attached = screen.getByTestId("audit-event-1");
    expect(within(attached).getByRole("link", { name: "destination #7" }).getAttribute("href")).toBe("/destinations/7");
    expect(within(attached).queryByRole("link", { name: /connector/ })).toBeNull();
    expect(within(attached).getByText("(deleted)").parentElement!.textContent).toBe("connector #9 (deleted)");
    expect(within(attached).getByText("(deleted)").parentElement!.className).toBe("audit-object");
  });

  it("names a connector by its name, not by its id alone, and a deleted one by its id", async () => {
    api(() =>
      page([
        runStarted({ connector_id: 4, triggered_by: "ui" }, "Demo users"),
        event(1, {
          action: "connector.exported",
          target_type: "connector",
          target_id: "9",
          detail: { format: "csv" },
          objects: [{ where: "target", type: "connector", id: "9", exists: false, name: null }],
        }),
      ]),
    );
    renderPage();
    const started = await screen.findByTestId("audit-event-2");
    const named = within(started).getByRole("link", { name: "Demo users (connector #4)" });
    expect(named.getAttribute("href")).toBe("/connectors/4");
    expect(named.className).toBe("audit-object");
    // a run has no name: its kind and id, linked
    expect(within(started).getByRole("link", { name: "sync_log #40" }).getAttribute("href")).toBe("/sync-logs/40");
    const exported = screen.getByTestId("audit-event-1");
    expect(within(exported).getByText("(deleted)").parentElement!.textContent).toBe("connector #9 (deleted)");
  });

  it("does not link a deleted target to a page that would say Not found", async () => {
    api(() => page([event(1, { action: "connector.deleted", objects: [{ where: "target", type: "connector", id: "12", exists: false, name: null }] })]));
    renderPage();
    const row = await screen.findByTestId("audit-event-1");
    expect(within(row).queryByRole("link", { name: /connector/ })).toBeNull();
    expect(within(row).getByText("(deleted)").parentElement!.textContent).toBe("connector #12 (deleted)");
  });

  it("keeps who in a cell that does not wrap (styles.css), the email not allowed to break mid-word", async () => {
    api(() => page([event(2)]));
    renderPage();
    const email = within(await screen.findByTestId("audit-event-2")).getByText("ada@acme.test");
    expect(email.closest("td")!.className).toBe("audit-who");
    expect(email.closest(".break")).toBeNull();
  });

  it("says when nothing was recorded yet, and when nothing matches the filters", async () => {
    api(() => page([]));
    const { unmount } = renderPage();
    expect((await screen.findByTestId("audit-empty")).textContent).toMatch(/^No event recorded yet\./);
    unmount();
    api(() => page([]));
    renderPage("admin", "/audit?action=member.removed");
    expect((await screen.findByTestId("audit-empty")).textContent).toBe("No event matches these filters.");
  });

  it("offers the recorded actions a partial one belongs to, since the filter matches a whole action", async () => {
    const calls = api(() => page([]));
    renderPage("admin", "/audit?action=Connector&target_type=connector");
    const hint = await screen.findByTestId("audit-partial-action");
    expect(hint.textContent).toBe("The Action filter matches whole names only; “Connector” is part of: connector.exported.");
    // a whole recorded value (the object type) is no partial one
    expect(screen.queryByTestId("audit-partial-target_type")).toBeNull();
    fireEvent.click(within(hint).getByRole("button", { name: "connector.exported" }));
    await vi.waitFor(() => expect(query(calls.at(-1)!).get("action")).toBe("connector.exported"));
    expect(query(calls.at(-1)!).get("target_type")).toBe("connector");
    expect(partialMatches("member.removed", recorded.actions)).toEqual([]);
    expect(partialMatches("", recorded.actions)).toEqual([]);
    expect(partialMatches("e", ["a.b", "c.e", "e.f"])).toEqual(["c.e", "e.f"]);
  });

  it("sends the filters the API has: action, object, user and days as instants", async () => {
    const calls = api(() => page([event(1)]));
    renderPage();
    await screen.findByTestId("audit-event-1");
    fireEvent.change(screen.getByLabelText("Action"), { target: { value: " member.added " } });
    fireEvent.change(screen.getByLabelText("Object type"), { target: { value: "membership" } });
    fireEvent.change(screen.getByLabelText("Object id"), { target: { value: "5" } });
    fireEvent.change(screen.getByLabelText("Who"), { target: { value: "3" } });
    fireEvent.change(screen.getByLabelText("From (day)"), { target: { value: "2026-12-01" } });
    fireEvent.change(screen.getByLabelText("Until (day)"), { target: { value: "2026-12-04" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    const sent = query(calls[1]!);
    expect(sent.get("action")).toBe("member.added");
    expect(sent.get("target_type")).toBe("membership");
    expect(sent.get("target_id")).toBe("5");
    expect(sent.get("actor")).toBe("3");
    expect(sent.get("since")).toBe(new Date("2026-12-01T00:00:00").toISOString());
    // "until" is the day's end: the API's until is "before"
    expect(sent.get("until")).toBe(new Date("2026-12-05T00:00:00").toISOString());
  });

  it("shows in its form the filters the list was read with after Back", async () => {
    const calls = api(() => page([event(1)]));
    const { router } = renderPage("admin", "/audit?action=member.added");
    await screen.findByTestId("audit-event-1");
    fireEvent.change(screen.getByLabelText("Action"), { target: { value: "connector.exported" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    await vi.waitFor(() => expect(query(calls.at(-1)!).get("action")).toBe("connector.exported"));
    await act(async () => {
      await router.navigate(-1);
    });
    await vi.waitFor(() => expect(query(calls.at(-1)!).get("action")).toBe("member.added"));
    expect((screen.getByLabelText("Action") as HTMLInputElement).value).toBe("member.added");
  });

  it("says an Until day before the From day matches nothing, on the Until field, and asks nothing", async () => {
    const calls = api(() => page([event(1)]));
    renderPage();
    await screen.findByTestId("audit-event-1");
    fireEvent.change(screen.getByLabelText("From (day)"), { target: { value: "2026-12-04" } });
    fireEvent.change(screen.getByLabelText("Until (day)"), { target: { value: "2026-12-01" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    const until = screen.getByLabelText("Until (day)");
    expect(until.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText("Until is before From: no day is in that range.")).toBeTruthy();
    expect(document.activeElement).toBe(until);
    expect(calls).toHaveLength(1);
  });

  it("narrows to one person's events or one object's history from a row", async () => {
    const calls = api(() => page([event(1)]));
    renderPage();
    const row = await screen.findByTestId("audit-event-1");
    fireEvent.click(within(row).getByRole("button", { name: /^Only theirs ?\(ada@acme.test\)/ }));
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(query(calls[1]!).get("actor")).toBe("3");
    expect((screen.getByLabelText("Who") as HTMLInputElement).value).toBe("3");
    fireEvent.click(within(await screen.findByTestId("audit-event-1")).getByRole("button", { name: /^Its history ?\(connector 12\)/ }));
    await vi.waitFor(() => expect(calls).toHaveLength(3));
    expect(query(calls[2]!).get("target_type")).toBe("connector");
    expect(query(calls[2]!).get("target_id")).toBe("12");
  });

  it("narrows to anonymous events from a refused sign-in's row, and to the system's from a system row", async () => {
    // an anonymous actor has no id: "Only theirs" could not pick refused sign-ins, nor could the filter
    const refused = event(3, {
      actor: { id: null, email: "", anonymous: true },
      action: "auth.sign_in_failed",
      target_type: "user",
      target_id: "1",
      detail: { email: "admin@demo.local", reason: "invalid_credentials" },
    });
    const calls = api(() => page([refused, event(1, { actor: null, action: "sync.started" })]));
    renderPage();
    fireEvent.click(within(await screen.findByTestId("audit-event-3")).getByRole("button", { name: /^Only anonymous ?events$/ }));
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(query(calls[1]!).get("actor")).toBe("anonymous");
    expect((screen.getByLabelText("Who") as HTMLInputElement).value).toBe("anonymous");
    fireEvent.click(within(await screen.findByTestId("audit-event-1")).getByRole("button", { name: /^Only the system's ?events$/ }));
    await vi.waitFor(() => expect(calls).toHaveLength(3));
    expect(query(calls[2]!).get("actor")).toBe("system");
  });

  it("lays its filters out two a row on a phone, their hints under the grid rather than in the Who column", async () => {
    api(() => page([event(1)]));
    renderPage();
    await screen.findByTestId("audit-event-1");
    const grid = screen.getByRole("form", { name: "Audit filters" }).querySelector(".filter-grid")!;
    expect(grid.classList.contains("filter-pairs")).toBe(true);
    const hint = document.getElementById("audit-actor-hint")!;
    expect(grid.contains(hint)).toBe(false);
    expect(screen.getByLabelText("Who").getAttribute("aria-describedby")).toBe("audit-actor-hint");
    expect(hint.textContent).toMatch(/^Who: a user id, anonymous \(refused sign-ins\) or system/);
  });

  it("offers anonymous and system in the Who filter and sends them as typed", async () => {
    const calls = api(() => page([event(1)]));
    renderPage();
    await screen.findByTestId("audit-event-1");
    const who = screen.getByLabelText("Who") as HTMLInputElement;
    expect(offered("Who")).toEqual(["anonymous", "system"]);
    fireEvent.change(who, { target: { value: " anonymous " } });
    fireEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(query(calls[1]!).get("actor")).toBe("anonymous");
  });

  it("offers the actions and object types the trail holds, from the API, and still sends any text", async () => {
    const calls = api(() => page([event(1)]));
    renderPage();
    await screen.findByTestId("audit-event-1");
    await vi.waitFor(() => expect(offered("Action")).toEqual(["auth.sign_in_failed", "connector.exported", "member.added"]));
    expect(offered("Object type")).toEqual(["connector", "user"]);
    expect(valuesCalls()).toHaveLength(1);
    expect(screen.getByLabelText("Action").getAttribute("aria-describedby")).toBe("audit-values-hint");
    expect(document.getElementById("audit-values-hint")!.textContent).toMatch(/values recorded in this trail/);
    fireEvent.change(screen.getByLabelText("Action"), { target: { value: "plugin.did_something" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    expect(query(calls[1]!).get("action")).toBe("plugin.did_something");
    // the values are asked once, not again with every filter
    expect(valuesCalls()).toHaveLength(1);
  });

  it("keeps the filters as plain text boxes, and the list, when the values cannot be read", async () => {
    api(() => page([event(1)]), { status: 500, body: { detail: "Server error." } });
    renderPage();
    await screen.findByTestId("audit-event-1");
    await vi.waitFor(() => expect(valuesCalls()).toHaveLength(1));
    expect(offered("Action")).toEqual([]);
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("sends an actor the API does not take and shows its refusal, rather than listing every event", async () => {
    // "?actor=nobody" in the address was dropped: every event listed while the field said "nobody"
    const message =
      "actor: Enter a user's id (a whole number from 1), anonymous (requests nobody had signed in to, such as refused sign-ins) or system (schedules, the engine, operator commands).";
    const calls = api((call) =>
      query(call).get("actor") === "nobody" ? { status: 400, body: { detail: message, errors: { actor: [message.slice(7)] } } } : page([event(1)]),
    );
    renderPage("admin", "/audit?actor=nobody");
    expect((await screen.findByRole("alert")).textContent).toBe(message);
    expect(query(calls[0]!).get("actor")).toBe("nobody");
    expect(screen.queryByTestId("audit-event-1")).toBeNull();
  });

  it("pages through the events", async () => {
    const calls = api((call) => page([event(query(call).get("page") === "2" ? 26 : 1)], 30));
    renderPage();
    await screen.findByTestId("audit-event-1");
    expect(screen.getByText("Page 1 of 2 · 30 events")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Next →" }));
    await screen.findByTestId("audit-event-26");
    expect(query(calls[1]!).get("page")).toBe("2");
    expect(query(calls[1]!).get("page_size")).toBe("25");
  });

  it("shows the API's refusal of a filter", async () => {
    api(() => ({ status: 400, body: { detail: "since: Enter a valid date/time.", errors: { since: ["Enter a valid date/time."] } } }));
    renderPage();
    expect((await screen.findByRole("alert")).textContent).toBe("since: Enter a valid date/time.");
  });
});
