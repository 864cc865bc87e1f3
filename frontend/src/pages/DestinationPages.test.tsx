import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";

import { AuthContext } from "../auth";

import type { Destination, DestinationAttachment, DestinationLoad } from "../api/types";
import { connector, destination, fakeFetch, holdAnswers, me, renderAs, renderInRouter, syncLog, type FakeCall, type FakeAnswer } from "../test/helpers";
import { SyncRunsTable } from "../components/SyncRunsTable";
import { DestinationDetailPage, LOAD_POLL_MS } from "./DestinationDetailPage";
import { DestinationsPage } from "./DestinationsPage";
import { formatDateTime } from "../format";

function load(overrides: Partial<DestinationLoad> = {}): DestinationLoad {
  return {
    id: 11,
    destination: 3,
    connector: 7,
    status: "SUCCESS",
    triggered_by: "api",
    full_reload: false,
    from_seq: 0,
    to_seq: 10,
    rows_upserted: 10,
    rows_deleted: 0,
    batches: 1,
    columns_added: 5,
    columns_widened: 0,
    duration_seconds: 0.4,
    started_at: "2026-11-27T10:00:00Z",
    finished_at: "2026-11-27T10:00:01Z",
    error_message: "",
    events: [{ at: "2026-11-27T10:00:00Z", level: "INFO", message: "Created table public.customers." }],
    created_at: "2026-11-27T10:00:00Z",
    ...overrides,
  };
}

const page = <T,>(results: T[]) => ({ count: results.length, next: null, previous: null, results });

/** A fake API for one destination: `extra` answers first when it returns an answer. */
function api(state: { destination: Destination; loads: DestinationLoad[] }, extra: (call: FakeCall) => FakeAnswer | null = () => null) {
  return fakeFetch((call) => {
    const special = extra(call);
    if (special) return special;
    if (call.url.startsWith("/api/demo-extension/connectors/")) return { body: page([connector({ id: 7, name: "Customers" }), connector({ id: 8, name: "Orders" })]) };
    if (call.url.startsWith("/api/destinations/3/loads/")) return { body: page(state.loads) };
    if (call.url === "/api/destinations/3/" && call.method === "GET") return { body: state.destination };
    if (call.url.startsWith("/api/destinations/")) return { body: page([state.destination]) };
    return { status: 404, body: { detail: "Not found." } };
  });
}

/** A destination without attachments whose attach refuses once (with `errors`), then attaches connector 8 as `attached`. */
function attachApi(errors: Record<string, string[]>, attached: Pick<DestinationAttachment, "table_name" | "column_names">) {
  const state = { destination: destination(), loads: [] as DestinationLoad[] };
  let refuse = true;
  return api(state, (call) => {
    if (call.url !== "/api/destinations/3/attach/") return null;
    if (refuse) {
      refuse = false;
      return { status: 400, body: { detail: "Invalid input.", errors } };
    }
    state.destination = destination({ attachments: [{ id: 1, connector: 8, ...attached, high_water: 0, last_load_at: null, last_load: null, columns: [], created_at: "2026-11-27T10:00:00Z" }] });
    return { status: 201, body: state.destination.attachments[0] };
  });
}

const renderDetail = (role: "viewer" | "editor" | "admin") => renderAs(role, <DestinationDetailPage />, "/destinations/3", "/destinations/:id");

afterEach(() => {
  vi.useRealTimers();
});

describe("the destinations pages", () => {
  it("lists the destinations; an editor gets the form, and the API's refusal lands on the field with focus", async () => {
    const calls = api({ destination: destination(), loads: [] }, (call) =>
      call.method === "POST" ? { status: 400, body: { detail: "Invalid input.", errors: { host: ["Name a host, or give a DSN."] } } } : null,
    );
    renderAs("editor", <DestinationsPage />, "/destinations", "/destinations");
    const table = await screen.findByRole("table", { name: "Destinations" });
    expect(within(table).getByRole("link", { name: "Warehouse" }).getAttribute("href")).toBe("/destinations/3");
    expect(within(table).getByText("db.example.com:5432/analytics")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "New destination" }));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Lake" } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "s3cret" } });
    expect(document.getElementById("destination-password-hint")!.textContent).toBe("Stored encrypted; never shown again.");
    fireEvent.click(screen.getByRole("button", { name: "Create destination" }));
    expect(await screen.findByText("Name a host, or give a DSN.")).toBeTruthy();
    const host = screen.getByLabelText("Host");
    expect(host.getAttribute("aria-invalid")).toBe("true");
    expect(host.getAttribute("aria-describedby")).toBe("destination-host-error");
    await waitFor(() => expect(document.activeElement).toBe(host));
    expect(screen.getByRole("alert").textContent).toContain("Not saved: one field needs attention.");
    const post = calls.find((call) => call.method === "POST")!;
    expect(post.body).toMatchObject({ name: "Lake", password: "s3cret", port: 5432, sslmode: "prefer", deleted_rows: "delete" });
  });

  it("moves the focus into the new destination's form when it opens, and back to its button when it is cancelled", async () => {
    api({ destination: destination(), loads: [] });
    renderAs("editor", <DestinationsPage />, "/destinations", "/destinations");
    fireEvent.click(await screen.findByRole("button", { name: "New destination" }));
    // the button is gone with the form open: the focus was left on the page's body
    expect(document.activeElement).toBe(screen.getByRole("heading", { name: "New PostgreSQL destination" }));
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "New destination" }));
  });

  it("moves the focus into a destination's edit form, and back to Edit when it is saved or cancelled", async () => {
    const state = { destination: destination(), loads: [] as DestinationLoad[] };
    api(state, (call) => (call.method === "PATCH" ? { body: state.destination } : null));
    renderDetail("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    // Edit is disabled while the form is open: the focus would be lost with it
    expect(document.activeElement).toBe(screen.getByRole("heading", { name: "Edit Warehouse" }));
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Edit" }));
    fireEvent.click(screen.getByRole("button", { name: "Edit" }));
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole("button", { name: "Edit" })));
  });

  it("asks for a name before sending a new destination, on the field, with focus", async () => {
    const calls = api({ destination: destination(), loads: [] });
    renderAs("editor", <DestinationsPage />, "/destinations", "/destinations");
    fireEvent.click(await screen.findByRole("button", { name: "New destination" }));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "  " } });
    fireEvent.click(screen.getByRole("button", { name: "Create destination" }));
    const name = screen.getByLabelText("Name");
    await waitFor(() => expect(name.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById("destination-name-error")?.textContent).toBe("Give the destination a name.");
    await waitFor(() => expect(document.activeElement).toBe(name));
    expect(screen.getByRole("alert").textContent).toContain("Not saved: one field needs attention.");
    expect(calls.some((call) => call.method === "POST")).toBe(false);
  });

  it("shows each destination's last load in the list, a failing connector first, and each attachment's on its page", async () => {
    const failed = { id: 21, status: "FAILED" as const, started_at: "2026-11-27T10:00:00Z", finished_at: "2026-11-27T10:00:02Z", error_message: "The host name db.example.com could not be resolved.", created_at: "2026-11-27T10:00:00Z" };
    const later = { ...failed, id: 22, status: "SUCCESS" as const, error_message: "", finished_at: "2026-11-27T11:00:00Z" };
    const attachments = [
      { id: 1, connector: 7, table_name: "customers", column_names: "snake_case" as const, high_water: 0, last_load_at: null, last_load: failed, columns: [], created_at: "2026-11-27T10:00:00Z" },
      { id: 2, connector: 8, table_name: "orders", column_names: "snake_case" as const, high_water: 9, last_load_at: "2026-11-27T11:00:00Z", last_load: later, columns: [], created_at: "2026-11-27T10:00:00Z" },
    ];
    api({ destination: destination({ attachments }), loads: [] });
    const list = renderAs("viewer", <DestinationsPage />, "/destinations", "/destinations");
    const table = await screen.findByRole("table", { name: "Destinations" });
    expect(within(table).getByRole("columnheader", { name: "Last load" })).toBeTruthy();
    const cell = within(table).getByTestId("destination-last-load-3");
    expect(cell.textContent).toContain("FAILED");
    expect(cell.textContent).toContain(formatDateTime("2026-11-27T10:00:02Z"));
    expect(cell.textContent).toContain("The latest load of 1 of its 2 connectors failed.");
    list.unmount();
    renderDetail("viewer");
    const attached = await screen.findByRole("table", { name: "Attached connectors" });
    expect(within(attached).getByTestId("last-load-7").textContent).toContain("FAILED");
    expect(within(attached).getByTestId("last-load-7").textContent).toContain("could not be resolved");
    expect(within(attached).getByTestId("last-load-8").textContent).toContain("SUCCESS");
    expect(within(attached).getByTestId("last-load-8").textContent).not.toContain("could not be resolved");
  });

  it("says in an empty card that there is no destination yet, and to an editor how to add one", async () => {
    fakeFetch(() => ({ body: page([]) }));
    const editor = renderAs("editor", <DestinationsPage />, "/destinations", "/destinations");
    const empty = await screen.findByTestId("destinations-empty");
    expect(empty.className).toBe("card empty");
    expect(empty.textContent).toBe("No destination yet. Add one with “New destination”, then attach connectors to it on its page.");
    editor.unmount();
    renderAs("viewer", <DestinationsPage />, "/destinations", "/destinations");
    expect((await screen.findByTestId("destinations-empty")).textContent).toBe("No destination yet.");
  });

  it("shows a viewer the list and a destination without any write control", async () => {
    api({ destination: destination({ attachments: [{ id: 1, connector: 7, table_name: "customers", column_names: "snake_case", high_water: 0, last_load_at: null, last_load: null, columns: [], created_at: "2026-11-27T10:00:00Z" }] }), loads: [] });
    renderAs("viewer", <DestinationsPage />, "/destinations", "/destinations");
    await screen.findByRole("table", { name: "Destinations" });
    expect(screen.queryByRole("button", { name: "New destination" })).toBeNull();
  });

  it("deletes a destination once the admin confirms it in the app's dialog, which says its tables stay", async () => {
    const calls = api({ destination: destination(), loads: [] }, (call) => (call.method === "DELETE" ? { status: 204 } : null));
    const native = vi.spyOn(window, "confirm");
    renderDetail("admin");
    await screen.findByRole("heading", { level: 1, name: "Warehouse" });
    fireEvent.click(screen.getByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("alertdialog", { name: "Delete the destination Warehouse?" });
    expect(dialog.textContent).toContain("The tables it wrote stay in the database");
    fireEvent.keyDown(dialog, { key: "Escape" });
    await act(async () => {});
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    fireEvent.click(screen.getByRole("button", { name: "Delete" }));
    fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Delete the destination" }));
    await waitFor(() => expect(calls.some((c) => c.method === "DELETE" && c.url === "/api/destinations/3/")).toBe(true));
    expect(native).not.toHaveBeenCalled();
  });

  it("keeps a viewer's destination page read-only", async () => {
    api({ destination: destination({ attachments: [{ id: 1, connector: 7, table_name: "customers", column_names: "snake_case", high_water: 0, last_load_at: null, last_load: null, columns: [], created_at: "2026-11-27T10:00:00Z" }] }), loads: [] });
    renderDetail("viewer");
    await screen.findByRole("heading", { level: 1, name: "Warehouse" });
    expect(await screen.findByText("Customers")).toBeTruthy();
    for (const name of ["Test connection", "Edit", "Load now", "Delete", "Attach"]) expect(screen.queryByRole("button", { name })).toBeNull();
    const back = screen.getByRole("link", { name: "← All destinations" });
    expect(back.getAttribute("href")).toBe("/destinations");
    expect(back.classList.contains("back-link")).toBe(true);
    expect(screen.queryByRole("button", { name: /Detach/ })).toBeNull();
    expect(screen.getByText("set")).toBeTruthy();
  });

  it("words what happens to deleted records the same in the list, on the destination page and in the form", async () => {
    api({ destination: destination({ deleted_rows: "soft" }), loads: [] });
    const list = renderAs("viewer", <DestinationsPage />, "/destinations", "/destinations");
    const table = await screen.findByRole("table", { name: "Destinations" });
    expect(within(table).getByText("Keep the row, set _deleted_at")).toBeTruthy();
    list.unmount();
    renderDetail("editor");
    await screen.findByRole("heading", { level: 1, name: "Warehouse" });
    const shown = screen.getByText("Deleted records", { selector: "dt" }).nextElementSibling!;
    expect(shown.textContent).toBe("Keep the row, set _deleted_at");
    fireEvent.click(screen.getByRole("button", { name: "Edit" }));
    const select = screen.getByLabelText("Deleted records") as HTMLSelectElement;
    expect(select.selectedOptions[0]!.textContent).toBe("Keep the row, set _deleted_at");
  });

  it("reloads everything from one connector only once the editor confirms what it rewrites", async () => {
    const attachments = [
      { id: 1, connector: 7, table_name: "customers", column_names: "snake_case" as const, high_water: 9, last_load_at: null, last_load: null, columns: [], created_at: "2026-11-27T10:00:00Z" },
    ];
    const calls = api({ destination: destination({ attachments, deleted_rows: "soft" }), loads: [] }, (call) =>
      call.url === "/api/destinations/3/load/?trigger=ui" ? { status: 202, body: { loads: [load({ id: 14, status: "PENDING", full_reload: true })] } } : null,
    );
    const native = vi.spyOn(window, "confirm");
    renderDetail("editor");
    const reload = await screen.findByRole("button", { name: "Reload everything from Customers" });
    fireEvent.click(reload);
    const dialog = screen.getByRole("alertdialog", { name: "Reload everything from Customers?" });
    expect(dialog.textContent).toContain("Every record of Customers is loaded again into public.customers");
    expect(dialog.textContent).toContain("are marked deleted (_deleted_at)");
    fireEvent.keyDown(dialog, { key: "Escape" });
    await act(async () => {});
    expect(calls.some((call) => call.url === "/api/destinations/3/load/?trigger=ui")).toBe(false);
    fireEvent.click(reload);
    fireEvent.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Reload everything" }));
    await waitFor(() => expect(calls.some((call) => call.url === "/api/destinations/3/load/?trigger=ui")).toBe(true));
    expect(calls.find((call) => call.url === "/api/destinations/3/load/?trigger=ui")!.body).toEqual({ connector: 7, full_reload: true });
    expect(native).not.toHaveBeenCalled();
  });

  it("shows which field went to which column, folded per attachment, to viewers too", async () => {
    const columns = [
      { field: "company.catchPhrase", column: "company__catch_phrase" },
      { field: "id", column: "id" },
    ];
    const attachments = [
      { id: 1, connector: 7, table_name: "customers", column_names: "snake_case" as const, high_water: 9, last_load_at: null, last_load: null, columns, created_at: "2026-11-27T10:00:00Z" },
      { id: 2, connector: 8, table_name: "orders", column_names: "as_is" as const, high_water: 0, last_load_at: null, last_load: null, columns: [], created_at: "2026-11-27T10:00:00Z" },
    ];
    api({ destination: destination({ attachments }), loads: [] });
    renderDetail("viewer");
    const attached = await screen.findByRole("table", { name: "Attached connectors" });
    expect(within(attached).getByRole("columnheader", { name: "Columns" })).toBeTruthy();
    const folded = within(attached).getByTestId("columns-7") as HTMLDetailsElement;
    expect(folded.open).toBe(false);
    expect(folded.querySelector("summary")!.textContent).toBe("2 columns");
    fireEvent.click(folded.querySelector("summary")!);
    const map = within(folded).getByRole("table", { name: "Columns of public.customers" });
    const rows = within(map).getAllByRole("row").map((row) => Array.from(row.children, (cell) => cell.textContent));
    expect(rows).toEqual([
      ["Field", "Column"],
      ["company.catchPhrase", "company__catch_phrase"],
      ["id", "id"],
    ]);
    expect(within(attached).queryByTestId("columns-8")).toBeNull();
    expect(within(attached).getByText("Named at the first load")).toBeTruthy();
  });

  it("wraps the connection string only after its @, : and /, never inside the host or the port", async () => {
    api({ destination: destination({ host: "127.0.0.1", port: 5432 }), loads: [] });
    renderDetail("viewer");
    const connection = await screen.findByTestId("destination-connection");
    expect(connection.textContent).toBe("loader@127.0.0.1:5432/analytics");
    expect(connection.innerHTML).toBe("loader@<wbr>127.0.0.1:<wbr>5432/<wbr>analytics");
  });

  it("offers delete to admins only", async () => {
    api({ destination: destination(), loads: [] });
    const editor = renderDetail("editor");
    await screen.findByRole("heading", { level: 1, name: "Warehouse" });
    expect(screen.queryByRole("button", { name: "Delete" })).toBeNull();
    editor.unmount();
    renderDetail("admin");
    expect(await screen.findByRole("button", { name: "Delete" })).toBeTruthy();
  });

  it("tests the connection and shows the result with focus on it", async () => {
    api({ destination: destination(), loads: [] }, (call) =>
      call.url === "/api/destinations/3/test_connection/" ? { body: { connected: false, message: "password authentication failed", response_time_ms: 12.4 } } : null,
    );
    renderDetail("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("destination-check");
    expect(within(result).getByRole("heading", { name: "Not connected" })).toBeTruthy();
    expect(result.textContent).toContain("password authentication failed (12 ms)");
    await waitFor(() => expect(document.activeElement).toBe(result));
  });

  it("drops a connection test's result once an edit of what it tested is saved, and keeps it after a rename", async () => {
    const state = { destination: destination(), loads: [] as DestinationLoad[] };
    api(state, (call) => {
      if (call.url === "/api/destinations/3/test_connection/") return { body: { connected: true, message: "PostgreSQL 16.4", response_time_ms: 3 } };
      if (call.method === "PATCH") {
        state.destination = { ...state.destination, ...(call.body as Partial<Destination>) };
        return { body: state.destination };
      }
      return null;
    });
    renderDetail("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    await screen.findByTestId("destination-check");
    fireEvent.click(screen.getByRole("button", { name: "Edit" }));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Warehouse 2" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    // saved and read again
    await screen.findByRole("heading", { name: "Warehouse 2", level: 1 });
    await waitFor(() => expect(screen.queryByRole("button", { name: "Save" })).toBeNull());
    expect(screen.getByTestId("destination-check")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Edit" }));
    fireEvent.change(screen.getByLabelText("Host"), { target: { value: "db2.example.com" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByTestId("destination-check")).toBeNull());
  });

  it("says what to do under a failed connection test and a connector's failed last load: nothing listening, a refused password", async () => {
    const refused = 'Could not connect: connection to server at "127.0.0.1", port 8942 failed: Connection refused';
    const attachment: DestinationAttachment = {
      id: 1,
      connector: 7,
      table_name: "customers",
      column_names: "snake_case",
      high_water: 0,
      last_load_at: null,
      last_load: { id: 12, status: "FAILED", error_message: 'Could not connect: FATAL:  password authentication failed for user "loader"', started_at: null, finished_at: "2026-11-27T10:00:00Z", created_at: "2026-11-27T10:00:00Z" },
      columns: [],
      created_at: "2026-11-27T10:00:00Z",
    };
    api({ destination: destination({ attachments: [attachment] }), loads: [] }, (call) =>
      call.url === "/api/destinations/3/test_connection/" ? { body: { connected: false, message: refused, response_time_ms: 2 } } : null,
    );
    renderDetail("editor");
    const lastLoad = await screen.findByTestId("last-load-7");
    expect(within(lastLoad).getByText("The server refused the user name or the password: check both (Edit, and type the password again).")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("destination-check");
    expect(within(result).getByText("Nothing accepted the connection: check the host and the port, and that PostgreSQL is running and listening there.")).toBeTruthy();
  });

  it("adds no hint to a connection test that connected, nor to an error it cannot place", async () => {
    api({ destination: destination(), loads: [] }, (call) =>
      call.url === "/api/destinations/3/test_connection/" ? { body: { connected: false, message: "Could not connect: something new", response_time_ms: 2 } } : null,
    );
    renderDetail("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Test connection" }));
    const result = await screen.findByTestId("destination-check");
    expect(result.querySelector(".hint")).toBeNull();
  });

  it("counts the seconds a connection test has waited, until its result comes", async () => {
    api({ destination: destination(), loads: [] }, (call) =>
      call.url === "/api/destinations/3/test_connection/" ? { body: { connected: true, message: "PostgreSQL 16.2", response_time_ms: 9012 } } : null,
    );
    const release = holdAnswers("/test_connection/");
    renderDetail("editor");
    const button = await screen.findByRole("button", { name: "Test connection" });
    vi.useFakeTimers({ shouldAdvanceTime: true });
    fireEvent.click(button);
    expect(screen.getByTestId("test-waiting").textContent).toBe("Waiting for the API: 0 s so far.");
    act(() => void vi.advanceTimersByTime(7000));
    expect(screen.getByTestId("test-waiting").textContent).toBe("Waiting for the API: 7 s so far.");
    release();
    expect(await screen.findByTestId("destination-check")).toBeTruthy();
    expect(screen.queryByTestId("test-waiting")).toBeNull();
  });

  it("attaches a connector with its table name, and shows a refusal on the table name field", async () => {
    const calls = attachApi({ table_name: ["table_name must be a non-empty name without NUL characters."] }, { table_name: "orders_v2", column_names: "snake_case" });
    renderDetail("editor");
    const none = await screen.findByText(/^No connector attached yet/);
    // Load now is off until a connector is attached, and says why
    const loadNow = screen.getByRole("button", { name: "Load now" }) as HTMLButtonElement;
    expect(loadNow.disabled).toBe(true);
    expect(loadNow.getAttribute("aria-describedby")).toBe(none.id);
    expect(none.textContent).toContain("attach one below");
    const select = screen.getByLabelText("Connector");
    await waitFor(() => expect(within(select).getByRole("option", { name: "Orders" })).toBeTruthy());
    fireEvent.click(screen.getByRole("button", { name: "Attach" }));
    expect(await screen.findByText("Choose a connector.")).toBeTruthy();
    fireEvent.change(select, { target: { value: "8" } });
    fireEvent.change(screen.getByLabelText("Table name"), { target: { value: " " } });
    fireEvent.click(screen.getByRole("button", { name: "Attach" }));
    expect(await screen.findByText("table_name must be a non-empty name without NUL characters.")).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("Table name")));
    fireEvent.change(screen.getByLabelText("Table name"), { target: { value: "orders_v2" } });
    fireEvent.click(screen.getByRole("button", { name: "Attach" }));
    const attached = await screen.findByRole("table", { name: "Attached connectors" });
    expect(within(attached).getByText("public.orders_v2")).toBeTruthy();
    expect(calls.filter((call) => call.url === "/api/destinations/3/attach/").map((call) => call.body)).toEqual([
      { connector: 8, column_names: "snake_case" },
      { connector: 8, table_name: "orders_v2", column_names: "snake_case" },
    ]);
  });

  it("attaches with the column naming chosen in a select that explains it, shows it per attachment, and a refusal on that field", async () => {
    const calls = attachApi({ column_names: ['"AsIs" is not a valid choice; one of: snake_case, as_is.'] }, { table_name: "orders", column_names: "as_is" });
    renderDetail("editor");
    const naming = (await screen.findByLabelText("Column names")) as HTMLSelectElement;
    // snake_case first and chosen, as_is the other choice; the hint says what each does, and is read with the select
    expect(naming.value).toBe("snake_case");
    expect(within(naming).getAllByRole("option").map((option) => [option.getAttribute("value"), option.textContent])).toEqual([
      ["snake_case", "snake_case (company__catch_phrase)"],
      ["as_is", "As is (company__catchPhrase)"],
    ]);
    const hint = document.getElementById("attach-column_names-hint")!;
    expect(naming.getAttribute("aria-describedby")).toBe("attach-column_names-hint");
    expect(hint.textContent).toContain("snake_case needs no quotes in SQL");
    expect(hint.textContent).toContain("Fixed at the first load.");
    const select = screen.getByLabelText("Connector");
    await waitFor(() => expect(within(select).getByRole("option", { name: "Orders" })).toBeTruthy());
    fireEvent.change(select, { target: { value: "8" } });
    fireEvent.change(naming, { target: { value: "as_is" } });
    fireEvent.click(screen.getByRole("button", { name: "Attach" }));
    expect(await screen.findByText('"AsIs" is not a valid choice; one of: snake_case, as_is.')).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("Column names")));
    fireEvent.click(screen.getByRole("button", { name: "Attach" }));
    const attached = await screen.findByRole("table", { name: "Attached connectors" });
    expect(within(attached).getByTestId("column-names-8").textContent).toBe("As is (company__catchPhrase)");
    expect(calls.filter((call) => call.url === "/api/destinations/3/attach/").map((call) => call.body)).toEqual([
      { connector: 8, column_names: "as_is" },
      { connector: 8, column_names: "as_is" },
    ]);
    // the form is ready for the next one, with the default again
    expect((screen.getByLabelText("Column names") as HTMLSelectElement).value).toBe("snake_case");
  });

  it("starts a load and shows the history, a failed load with its error and its log one click away", async () => {
    const state = {
      destination: destination({ attachments: [{ id: 1, connector: 7, table_name: "customers", column_names: "snake_case", high_water: 0, last_load_at: null, last_load: null, columns: [], created_at: "2026-11-27T10:00:00Z" }] }),
      loads: [
        load({
          id: 12,
          status: "FAILED",
          rows_upserted: 0,
          error_message: "permission denied for schema public",
          events: [{ at: "2026-11-27T10:05:00Z", level: "ERROR", message: "permission denied for schema public" }],
        }),
        load(),
      ],
    };
    const calls = api(state, (call) => (call.url === "/api/destinations/3/load/?trigger=ui" ? { status: 202, body: { loads: [load({ id: 13, status: "PENDING" })] } } : null));
    renderDetail("editor");
    const table = await screen.findByRole("table", { name: "Loads" });
    const failed = within(table).getByTestId("load-12");
    // the status cell holds the status; the error and what to do about it take the next row's whole width
    expect(within(failed).getAllByRole("cell")[2]!.textContent).toBe("FAILED");
    const errorRow = within(table).getByTestId("load-error-12").closest("tr")!;
    expect(errorRow.previousElementSibling).toBe(failed);
    expect(within(errorRow).getByRole("cell").getAttribute("colspan")).toBe("10");
    expect(within(errorRow).getByText("permission denied for schema public")).toBeTruthy();
    expect(within(errorRow).getByText("The user may not create tables there: grant it USAGE and CREATE on the target schema.")).toBeTruthy();
    const ok = within(table).getByTestId("load-11");
    expect(within(ok).getAllByRole("cell").map((cell) => cell.textContent).slice(0, 7)).toEqual(["#11", "Customers", "SUCCESS", "API", "10", "0", "5 / 0"]);
    fireEvent.click(within(failed).getByRole("button", { name: "Log (1) of load 12" }));
    expect(within(screen.getByRole("list", { name: "Log of load 12" })).getByText("ERROR")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Load now" }));
    await waitFor(() => expect(calls.some((call) => call.url === "/api/destinations/3/load/?trigger=ui" && call.method === "POST")).toBe(true));
    expect(calls.find((call) => call.url === "/api/destinations/3/load/?trigger=ui")!.body).toEqual({});
  });

  it("shows a load's start as the Syncs list shows a run's: on one line, in the same format and cell", async () => {
    api({ destination: destination(), loads: [load({ id: 12, started_at: "2026-11-27T10:05:00Z" })] });
    renderDetail("viewer");
    const table = await screen.findByRole("table", { name: "Loads" });
    const headers = within(table).getAllByRole("columnheader").map((cell) => cell.textContent);
    const started = within(within(table).getByTestId("load-12")).getAllByRole("cell")[headers.indexOf("Started")]!;
    cleanup();
    renderInRouter(<SyncRunsTable runs={[syncLog({ started_at: "2026-11-27T10:05:00Z" })]} label="Syncs" />);
    const syncs = screen.getByRole("table", { name: "Syncs" });
    const runHeaders = within(syncs).getAllByRole("columnheader").map((cell) => cell.textContent);
    const runStarted = within(within(syncs).getAllByRole("row")[1]!).getAllByRole("cell")[runHeaders.indexOf("Started")]!;
    expect(started.className).toBe(runStarted.className);
    expect(started.className.split(" ")).toContain("nowrap");
    expect(started.textContent).toBe(runStarted.textContent);
    expect(started.querySelector("time")!.getAttribute("datetime")).toBe("2026-11-27T10:05:00Z");
    // its column names may wrap (styles.css: .load-history th), so the one-line dates leave Log in sight
    expect(table.className.split(" ")).toContain("load-history");
  });

  it("shows what started each load in the history (the web UI, the end of a sync, the API)", async () => {
    const state = {
      destination: destination(),
      loads: [load({ id: 14, triggered_by: "ui", full_reload: true }), load({ id: 13, triggered_by: "sync" }), load({ id: 12, triggered_by: "api" })],
    };
    api(state);
    renderDetail("viewer");
    const table = await screen.findByRole("table", { name: "Loads" });
    const headers = within(table).getAllByRole("columnheader").map((cell) => cell.textContent);
    expect(headers).toContain("Triggered by");
    const trigger = (id: number) => within(within(table).getByTestId(`load-${id}`)).getAllByRole("cell")[headers.indexOf("Triggered by")]?.textContent;
    expect([trigger(14), trigger(13), trigger(12)]).toEqual(["Web UI", "After a sync", "API"]);
  });

  it("says why a load could not start (a load of that connector is running)", async () => {
    api(
      { destination: destination({ attachments: [{ id: 1, connector: 7, table_name: "customers", column_names: "snake_case", high_water: 0, last_load_at: null, last_load: null, columns: [], created_at: "2026-11-27T10:00:00Z" }] }), loads: [] },
      (call) => (call.url === "/api/destinations/3/load/?trigger=ui" ? { status: 409, body: { detail: "A load of this connector is in progress (load #9)." } } : null),
    );
    renderDetail("editor");
    await screen.findByRole("table", { name: "Attached connectors" });
    fireEvent.click(await screen.findByRole("button", { name: "Load Customers" }));
    expect((await screen.findByRole("alert")).textContent).toBe("A load of this connector is in progress (load #9).");
  });

  it("edits a destination without sending the stored password again unless a new one is typed", async () => {
    const state = { destination: destination(), loads: [] as DestinationLoad[] };
    const calls = api(state, (call) => (call.method === "PATCH" ? { body: { ...state.destination, target_schema: "analytics" } } : null));
    renderDetail("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    const password = screen.getByLabelText("Password");
    expect((password as HTMLInputElement).value).toBe("");
    expect(document.getElementById("destination-password-hint")!.textContent).toBe("Stored (never shown). Leave blank to keep it.");
    fireEvent.change(screen.getByLabelText("Target schema"), { target: { value: "analytics" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.some((call) => call.method === "PATCH")).toBe(true));
    const patch = calls.find((call) => call.method === "PATCH")!;
    expect(patch.url).toBe("/api/destinations/3/");
    expect(patch.body).toMatchObject({ name: "Warehouse", host: "db.example.com", target_schema: "analytics", sslmode: "require" });
    expect(patch.body).not.toHaveProperty("password");
    expect(patch.body).not.toHaveProperty("dsn");
  });

  it("shows what the server warned about when an edit was saved (a host it could not resolve)", async () => {
    const warning = "The host name dw.corp.example could not be resolved from the web server. Saved anyway.";
    const state = { destination: destination(), loads: [] as DestinationLoad[] };
    api(state, (call) => (call.method === "PATCH" ? { body: { ...state.destination, warnings: [warning] } } : null));
    renderDetail("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    expect(screen.queryByTestId("save-warnings")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByTestId("save-warnings")).textContent).toBe(`Saved, with a warning:${warning}`);
  });

  it("passes the creation's warnings on to the new destination's page, which shows them", async () => {
    const warning = "The host name dw.corp.example could not be resolved from the web server. Saved anyway.";
    api({ destination: destination(), loads: [] }, (call) =>
      call.method === "POST" ? { status: 201, body: destination({ id: 5, name: "Lake", warnings: [warning] }) } : null,
    );
    const { router } = renderAs("editor", <DestinationsPage />, "/destinations", "/destinations");
    fireEvent.click(await screen.findByRole("button", { name: "New destination" }));
    fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Lake" } });
    fireEvent.change(screen.getByLabelText("Host"), { target: { value: "dw.corp.example" } });
    fireEvent.click(screen.getByRole("button", { name: "Create destination" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/destinations/5"));
    expect(router.state.location.state).toEqual({ warnings: [warning] });

    api({ destination: destination(), loads: [] });
    const detail = createMemoryRouter([{ path: "/destinations/:id", element: <DestinationDetailPage /> }], {
      initialEntries: [{ pathname: "/destinations/3", state: { warnings: [warning] } }],
    });
    const auth = { me: me("editor"), checking: false, signIn: vi.fn(), signOut: vi.fn(), acceptInvitation: vi.fn() };
    render(
      <AuthContext.Provider value={auth}>
        <RouterProvider router={detail} />
      </AuthContext.Provider>,
    );
    expect((await screen.findByTestId("save-warnings")).textContent).toBe(`Saved, with a warning:${warning}`);
  });

  it("shows an editor the server's refusal to move the stored password to another server, and keeps the form", async () => {
    const refusal =
      "Changing host of a destination with a stored password needs the 'admin' role: the password would go to another server.";
    const calls = api({ destination: destination(), loads: [] }, (call) => (call.method === "PATCH" ? { status: 403, body: { detail: refusal } } : null));
    renderDetail("editor");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    fireEvent.change(screen.getByLabelText("Host"), { target: { value: "db.attacker.example" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));

    expect((await screen.findByRole("alert")).textContent).toBe(refusal);
    expect(calls.find((call) => call.method === "PATCH")!.body).toMatchObject({ host: "db.attacker.example" });
    expect((screen.getByLabelText("Host") as HTMLInputElement).value).toBe("db.attacker.example");
    expect(screen.getByRole("heading", { name: "Edit Warehouse" })).toBeTruthy();
  });

  it("asks an admin who moves a destination for its password on the password field", async () => {
    const message = "Changing host sends the password elsewhere: send password again (or an empty string to remove it).";
    api({ destination: destination(), loads: [] }, (call) =>
      call.method === "PATCH" ? { status: 400, body: { detail: `password: ${message}`, errors: { password: [message] } } } : null,
    );
    renderDetail("admin");
    fireEvent.click(await screen.findByRole("button", { name: "Edit" }));
    fireEvent.change(screen.getByLabelText("Host"), { target: { value: "db2.example.com" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));

    expect(await screen.findByText(message)).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("Password")));
  });

  it("follows a running load until it ends and shows its row count", async () => {
    const state = {
      destination: destination({ attachments: [{ id: 1, connector: 7, table_name: "customers", column_names: "snake_case", high_water: 0, last_load_at: null, last_load: null, columns: [], created_at: "2026-11-27T10:00:00Z" }] }),
      loads: [load({ id: 14, status: "RUNNING", rows_upserted: 0, duration_seconds: null })],
    };
    // The load ends when the test says so, not after a number of polls a slow machine lets by unseen.
    let ended = false;
    api(state, (call) => {
      if (!call.url.startsWith("/api/destinations/3/loads/")) return null;
      return { body: page(ended ? [load({ id: 14, rows_upserted: 120 })] : state.loads) };
    });
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderDetail("editor");
    const row = await screen.findByTestId("load-14");
    expect(within(row).getByText("RUNNING")).toBeTruthy();
    ended = true;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(LOAD_POLL_MS);
    });
    await waitFor(() => expect(within(screen.getByTestId("load-14")).getByText("SUCCESS")).toBeTruthy());
    expect(within(screen.getByTestId("load-14")).getByText("120")).toBeTruthy();
  });

  it("says which destination does not exist and links the list", async () => {
    api({ destination: destination(), loads: [] }, (call) => (call.url.startsWith("/api/destinations/9/") ? { status: 404, body: { detail: "Not found." } } : null));
    renderAs("viewer", <DestinationDetailPage />, "/destinations/9", "/destinations/:id");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Destination #9 does not exist in this tenant, or was deleted.");
    expect(within(alert).getByRole("link", { name: "← All destinations" }).getAttribute("href")).toBe("/destinations");
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("Destination #9");
  });

  it("reads neither the connectors nor the load history of a destination that does not exist", async () => {
    const calls = api({ destination: destination(), loads: [] }, (call) => (call.url.startsWith("/api/destinations/9/") ? { status: 404, body: { detail: "Not found." } } : null));
    renderAs("viewer", <DestinationDetailPage />, "/destinations/9", "/destinations/:id");
    await screen.findByRole("alert");
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
    });
    expect(calls.map((call) => call.url)).toEqual(["/api/destinations/9/"]);
  });

  it("reads the connectors and the load history once the destination is there, and names its attachments from the first paint", async () => {
    const calls = api({ destination: destination({ attachments: [{ id: 1, connector: 7, table_name: "customers", column_names: "snake_case", high_water: 0, last_load_at: null, last_load: null, columns: [], created_at: "2026-11-27T10:00:00Z" }] }), loads: [] });
    renderDetail("viewer");
    const table = await screen.findByRole("table", { name: "Attached connectors" });
    expect(within(table).getByRole("link", { name: "Customers" })).toBeTruthy();
    expect(calls[0]?.url).toBe("/api/destinations/3/");
    expect(calls.some((call) => call.url.startsWith("/api/demo-extension/connectors/"))).toBe(true);
    await waitFor(() => expect(calls.some((call) => call.url.startsWith("/api/destinations/3/loads/"))).toBe(true));
  });

  it("shows the page-not-found page for an address that is no destination id", async () => {
    const calls = api({ destination: destination(), loads: [] });
    renderAs("viewer", <DestinationDetailPage />, "/destinations/x1", "/destinations/:id");
    expect(await screen.findByRole("heading", { name: "Page not found" })).toBeTruthy();
    expect(calls.some((call) => call.url.startsWith("/api/destinations/"))).toBe(false);
  });
});
