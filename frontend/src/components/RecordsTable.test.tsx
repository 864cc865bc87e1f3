import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { SyncedRecord } from "../api/types";
import { fakeFetch, renderAs } from "../test/helpers";
import { fieldOrder } from "./fieldOrder";
import { columnsOf, defaultColumns, flattenRecord, mappingTargets, noRecordsText, RecordsTable } from "./RecordsTable";

function record(id: number, data: SyncedRecord["data"]): SyncedRecord {
  return {
    id,
    external_id: String(id),
    data,
    checksum: "x",
    first_synced_at: "2026-11-27T10:00:00Z",
    last_synced_at: "2026-11-27T10:00:00Z",
    last_sync_log: 1,
  };
}

const ROWS = [
  record(2, { id: 2, name: "Bob", address: { city: "Paris", geo: { lat: 1 } }, tags: ["a"], a: 1, b: 2, c: 3, d: 4 }),
  record(10, { id: 10, name: "Ada", address: { city: "London" } }),
];

function api() {
  return fakeFetch(() => ({ body: { count: ROWS.length, next: null, previous: null, results: ROWS } }));
}

const renderTable = (path = "/connectors/7") => renderAs("viewer", <RecordsTable connectorId={7} />, path, "/connectors/:id");

describe("the records table", () => {
  it("shows one column per field, nested fields as dotted columns", async () => {
    api();
    renderTable();
    const table = await screen.findByRole("table", { name: "Records" });
    const headers = within(table).getAllByRole("columnheader").map((th) => th.textContent);
    expect(headers[0]).toBe("External id ▲, sort descending");
    expect(headerNames(table).slice(0, 7)).toEqual(["External id", "id", "name", "tags", "a", "b", "c"]);
    expect(within(table).queryByRole("columnheader", { name: "address.city" })).toBeNull(); // nested: in the picker
    expect(within(table).getByText('["a"]')).toBeTruthy();
    fireEvent.click(screen.getByRole("checkbox", { name: "address.city" }));
    expect(within(screen.getByRole("table", { name: "Records" })).getByText("Paris")).toBeTruthy();
  });

  it("puts top-level fields before nested ones, each in the order first seen", () => {
    const sorted = [record(1, { active: true, address: { city: "X", geo: { lat: 1 } }, company: { name: "Y" }, email: "e", id: 1, name: "n" })];
    expect(columnsOf(sorted)).toEqual(["active", "email", "id", "name", "address.city", "company.name", "address.geo.lat"]);
  });

  it("orders the columns as the schema first saw the fields (the upstream's order), the primary key first", () => {
    const stored = [record(1, { address: { city: "X", zip: "1" }, created_at: "t", email: "e", id: 1, name: "n" })];
    const fields = [
      { path: "address", parts: ["address"], types: ["object"], formats: [], column: false, position: 4 },
      { path: "address.city", parts: ["address", "city"], types: ["string"], formats: [], column: true, position: 6 },
      { path: "address.zip", parts: ["address", "zip"], types: ["string"], formats: [], column: true, position: 5 },
      { path: "email", parts: ["email"], types: ["string"], formats: [], column: true, position: 3 },
      { path: "id", parts: ["id"], types: ["integer"], formats: [], column: true, position: 2 },
      { path: "name", parts: ["name"], types: ["string"], formats: [], column: true, position: 1 },
    ];
    expect(columnsOf(stored, fieldOrder(fields))).toEqual(["name", "id", "email", "created_at", "address.zip", "address.city"]);
    expect(columnsOf(stored, fieldOrder(fields), "id")).toEqual(["id", "name", "email", "created_at", "address.zip", "address.city"]);
  });

  it("reads the schema and shows the columns and the picker in its order, not the stored keys' alphabetical one", async () => {
    const stored = [record(1, { active: true, email: "e", id: 1, name: "n", zip: "z" })];
    const schema = {
      connector: 7,
      truncated: false,
      updated_at: "2026-11-27T10:00:00Z",
      fields: ["id", "name", "zip", "email", "active"].map((path, index) => ({ path, parts: [path], types: ["string"], formats: [], column: true, position: index + 1 })),
    };
    fakeFetch((call) => ({ body: call.url.endsWith("/schema/") ? schema : { count: 1, next: null, previous: null, results: stored } }));
    renderAs("viewer", <RecordsTable connectorId={7} primaryKey="id" />, "/connectors/7", "/connectors/:id");
    await screen.findByRole("table", { name: "Records" });
    await waitFor(() => expect(headerNames(screen.getByRole("table", { name: "Records" }))).toEqual(["External id", "name", "zip", "email", "active", "Last written", "Raw"]));
    expect(screen.getAllByRole("checkbox").map((box) => box.closest("label")?.textContent)).toEqual(["id", "name", "zip", "email", "active", "Include deleted records"]);
  });

  it("lets the user pick the columns", async () => {
    api();
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    expect(screen.getByText("Columns (6 of 9)")).toBeTruthy();
    fireEvent.click(screen.getByRole("checkbox", { name: "d" }));
    fireEvent.click(screen.getByRole("checkbox", { name: "name" }));
    const headers = headerNames(screen.getByRole("table", { name: "Records" }));
    expect(headers).toContain("d");
    expect(headers).not.toContain("name");
  });

  it("shows a record's raw JSON one click away", async () => {
    api();
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    const button = screen.getAllByRole("button", { name: /^JSON/ })[1]!;
    fireEvent.click(button);
    expect(button.getAttribute("aria-expanded")).toBe("true");
    expect(JSON.parse(screen.getByTestId("raw-json").textContent!)).toEqual(ROWS[1]!.data);
  });

  it("sorts by external id through the API (numeric-aware there), toggling the direction", async () => {
    const calls = api();
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    expect(calls[0]?.url).toBe("/api/demo-extension/connectors/7/records/?page=1&page_size=20&ordering=external_id");
    fireEvent.click(screen.getByRole("button", { name: /External id/ }));
    await screen.findByRole("columnheader", { name: /External id/ });
    await vi_wait(() => calls.at(-1)?.url.includes("ordering=-external_id") ?? false);
    expect(screen.getByRole("columnheader", { name: /External id/ }).getAttribute("aria-sort")).toBe("descending");
  });

  it("searches a field's value, or the external id, and changes the page size", async () => {
    const calls = api();
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    fireEvent.change(screen.getByLabelText("Search in"), { target: { value: "address.city" } });
    fireEvent.change(screen.getByLabelText("Search text"), { target: { value: "lond" } });
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    await vi_wait(() => calls.at(-1)?.url.endsWith("&field=address.city&value=lond") ?? false);
    fireEvent.change(screen.getByLabelText("Search in"), { target: { value: "__external_id" } });
    fireEvent.change(screen.getByLabelText("Search text"), { target: { value: "10" } });
    fireEvent.click(screen.getByRole("button", { name: "Search" }));
    await vi_wait(() => calls.at(-1)?.url.endsWith("&external_id=10") ?? false);
    fireEvent.change(screen.getByLabelText(/Rows per page/), { target: { value: "50" } });
    await vi_wait(() => calls.at(-1)?.url.includes("page_size=50") ?? false);
  });

  it("reads its state from the address, so a reload keeps it", async () => {
    const calls = api();
    renderTable("/connectors/7?r_sort=-external_id&r_size=100&r_in=name&r_q=ad&r_page=2");
    await screen.findByRole("table", { name: "Records" });
    expect(calls[0]?.url).toBe("/api/demo-extension/connectors/7/records/?page=2&page_size=100&ordering=-external_id&field=name&value=ad");
  });

  it("scrolls sideways in a named region the keyboard can focus, the JSON button's column pinned at its edge", async () => {
    api();
    renderTable();
    const table = await screen.findByRole("table", { name: "Records" });
    const region = screen.getByRole("region", { name: "Records, scrolling sideways" });
    expect(region.contains(table)).toBe(true);
    expect(region.getAttribute("tabindex")).toBe("0"); // axe: a scrollable region is focusable
    expect(region.classList.contains("table-wrap")).toBe(true); // overflow-x: auto
    // the Raw column stays in view (position: sticky; right: 0) however wide the table
    expect(within(table).getByRole("columnheader", { name: "Raw" }).classList.contains("pinned-end")).toBe(true);
    for (const button of within(table).getAllByRole("button", { name: /^JSON/ })) {
      expect(button.closest("td")!.classList.contains("pinned-end")).toBe(true);
      // "Last written" is pinned beside it (styles.css), never hidden under it
      expect(button.closest("td")!.previousElementSibling!.classList.contains("pinned-before-end")).toBe(true);
    }
    expect(within(table).getByRole("columnheader", { name: /^Last written/ }).classList.contains("pinned-before-end")).toBe(true);
  });
});

describe("sorting by a data field", () => {
  it("sorts by a top-level field through the API when its header is clicked, then the other way", async () => {
    const calls = api();
    renderTable();
    const table = await screen.findByRole("table", { name: "Records" });
    fireEvent.click(within(table).getByRole("button", { name: /^name/ }));
    await vi_wait(() => calls.at(-1)?.url.includes("ordering=data.name") ?? false);
    const header = () => within(screen.getByRole("table", { name: "Records" })).getByRole("columnheader", { name: /^name/ });
    await vi.waitFor(() => expect(header().getAttribute("aria-sort")).toBe("ascending"));
    expect(within(screen.getByRole("table", { name: "Records" })).getByRole("columnheader", { name: /External id/ }).getAttribute("aria-sort")).toBe("none");
    expect(header().textContent).toBe("name ▲, sort descending");
    fireEvent.click(within(header()).getByRole("button"));
    await vi_wait(() => calls.at(-1)?.url.includes("ordering=-data.name") ?? false);
    await vi.waitFor(() => expect(header().getAttribute("aria-sort")).toBe("descending"));
    // a new sort starts at the first page
    expect(calls.at(-1)?.url).toContain("page=1&");
  });

  it("sorts by the time written too; nested columns do not sort (the API sorts top-level fields)", async () => {
    const calls = api();
    renderTable("/connectors/7?r_page=3");
    const table = await screen.findByRole("table", { name: "Records" });
    fireEvent.click(screen.getByRole("checkbox", { name: "address.city" }));
    const nested = within(screen.getByRole("table", { name: "Records" })).getByRole("columnheader", { name: "address.city" });
    expect(within(nested).queryByRole("button")).toBeNull();
    expect(nested.hasAttribute("aria-sort")).toBe(false);
    fireEvent.click(within(table).getByRole("button", { name: /^Last written/ }));
    await vi_wait(() => calls.at(-1)?.url === "/api/demo-extension/connectors/7/records/?page=1&page_size=20&ordering=last_synced_at");
  });

  it("keeps a data-field sort from the address and ignores one the API would refuse", async () => {
    const calls = api();
    renderTable("/connectors/7?r_sort=-data.name");
    await screen.findByRole("table", { name: "Records" });
    expect(calls[0]?.url).toBe("/api/demo-extension/connectors/7/records/?page=1&page_size=20&ordering=-data.name");
    expect(within(screen.getByRole("table", { name: "Records" })).getByRole("columnheader", { name: /^name/ }).getAttribute("aria-sort")).toBe("descending");
  });

  it.each(["data.", 'data.a"b', "name", "-data"])("asks the API for the default order when the address has %s", async (sort) => {
    const calls = api();
    renderTable(`/connectors/7?r_sort=${encodeURIComponent(sort)}`);
    await screen.findByRole("table", { name: "Records" });
    expect(calls[0]?.url).toBe("/api/demo-extension/connectors/7/records/?page=1&page_size=20&ordering=external_id");
  });
});

describe("the default columns", () => {
  const RULES = { field_mappings: { "address.city": "city", name: "full_name", nope: "not_in_records", "x.y": "geo" }, include_unmapped: true };
  const MAPPED = [
    record(1, { id: 1, full_name: "Ada", city: "Lyon", email: "a@x", geo: { lat: 1, lng: 2 }, phone: "1", website: "w", zip: "9" }),
  ];

  it("are the mapped fields (their targets) in the rules' order, nested targets as their columns", () => {
    expect(mappingTargets(RULES)).toEqual(["city", "full_name", "not_in_records", "geo"]);
    const columns = columnsOf(MAPPED);
    expect(defaultColumns(columns, RULES)).toEqual(["city", "full_name", "geo.lat", "geo.lng"]);
  });

  it("are the first six fields of the first record without rules or when no target is in the records", () => {
    const columns = columnsOf(MAPPED);
    expect(defaultColumns(columns, {})).toEqual(columns.slice(0, 6));
    expect(defaultColumns(columns, { field_mappings: { a: "missing" } })).toEqual(columns.slice(0, 6));
    expect(defaultColumns(columns, undefined)).toEqual(columns.slice(0, 6));
    expect(mappingTargets({ field_mappings: ["x"] })).toEqual([]);
  });

  it("include a field only the rules' defaults add, after the mapped fields, and among the six without mappings", () => {
    // "source" is no mapping's target and the upstream does not send it: the defaults add it, and the
    // schema's order puts it after every field the upstream sends
    const records = [record(1, { id: 1, full_name: "Ada", city: "Lyon", email: "a@x", phone: "1", website: "w", zip: "9", source: "crm" })];
    const order = new Map(["id", "full_name", "city", "email", "phone", "website", "zip", "source"].map((path, index) => [path, [index]]));
    const columns = columnsOf(records, order);
    expect(columns.at(-1)).toBe("source");
    const mapped = { field_mappings: { name: "full_name", "address.city": "city" }, defaults: { source: "crm", city: "unknown" } };
    expect(defaultColumns(columns, mapped)).toEqual(["full_name", "city", "source"]);
    const unmapped = { defaults: { source: "crm" } };
    // within the six: the table grows no wider
    expect(defaultColumns(columns, unmapped, "id")).toEqual(["full_name", "city", "email", "phone", "website", "source"]);
    // a default of the primary key's field is the External id column's already
    expect(defaultColumns(columns, { defaults: { id: 0 } }, "id")).toEqual(columns.slice(1, 7));
  });

  it("show a field only the rules' defaults add among the table's first columns", async () => {
    const records = [record(1, { id: 1, a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, source: "crm" })];
    fakeFetch(() => ({ body: { count: 1, next: null, previous: null, results: records } }));
    renderAs("viewer", <RecordsTable connectorId={7} primaryKey="id" rules={{ defaults: { source: "crm" } }} />, "/connectors/7", "/connectors/:id");
    const table = await screen.findByRole("table", { name: "Records" });
    expect(headerNames(table)).toContain("source");
  });

  it("leave out the primary key's field without rules: the External id column shows it already", () => {
    const columns = columnsOf(MAPPED);
    expect(columns[0]).toBe("id");
    expect(defaultColumns(columns, {}, "id")).toEqual(columns.slice(1, 7));
    expect(defaultColumns(columns, {}, "id")).toHaveLength(6);
    // a mapped primary key stays where the rules put it
    expect(defaultColumns(columns, { field_mappings: { user_id: "id", name: "full_name" } }, "id")).toEqual(["id", "full_name"]);
  });

  it("show no second copy of the primary key in the table, and keep it in the picker", async () => {
    fakeFetch(() => ({ body: { count: 1, next: null, previous: null, results: MAPPED } }));
    renderAs("viewer", <RecordsTable connectorId={7} primaryKey="id" />, "/connectors/7", "/connectors/:id");
    const table = await screen.findByRole("table", { name: "Records" });
    expect(headerNames(table)).toEqual(["External id", "full_name", "city", "email", "phone", "website", "zip", "Last written", "Raw"]);
    expect(screen.getByRole("checkbox", { name: "id" })).toBeTruthy();
  });

  it("say why there are no records yet: never synced, the last sync failed, or a sync is under way", async () => {
    expect(noRecordsText(null)).toBe("No records yet: sync the connector.");
    expect(noRecordsText({ id: 3, status: "SUCCESS" })).toBe("No records yet: sync the connector.");
    expect(noRecordsText({ id: 3, status: "RUNNING" })).toBe("No records yet: the sync under way stores them page by page.");
    fakeFetch(() => ({ body: { count: 0, next: null, previous: null, results: [] } }));
    renderAs("viewer", <RecordsTable connectorId={7} lastSync={{ id: 3, status: "FAILED" }} />, "/connectors/7", "/connectors/:id");
    expect(await screen.findByText("No records yet: the last sync, run #3, ended FAILED without storing any. Sync again once its error is dealt with.")).toBeTruthy();
  });

  it("show only the empty state before anything is stored: no search, columns, page size or downloads that would act on nothing", async () => {
    fakeFetch(() => ({ body: { count: 0, next: null, previous: null, results: [] } }));
    renderAs("viewer", <RecordsTable connectorId={7} lastSync={null} />, "/connectors/7", "/connectors/:id");
    const said = await screen.findByText("No records yet: sync the connector.");
    const card = said.closest("section") as HTMLElement;
    expect(within(card).queryByRole("search")).toBeNull();
    expect(within(card).queryByText(/^Columns \(/)).toBeNull();
    expect(within(card).queryByLabelText(/Rows per page/)).toBeNull();
    expect(within(card).queryByRole("button", { name: /Download/ })).toBeNull();
    expect(within(card).getByRole("heading", { name: "Records" })).toBeTruthy();
  });

  it("keep the tools with no live record after a sync that stored some (Include deleted records finds those marked deleted), and with a search", async () => {
    fakeFetch(() => ({ body: { count: 0, next: null, previous: null, results: [] } }));
    const first = renderAs("viewer", <RecordsTable connectorId={7} lastSync={{ id: 3, status: "SUCCESS" }} />, "/connectors/7", "/connectors/:id");
    await screen.findByText("No records yet: sync the connector.");
    expect(screen.getByRole("search", { name: "Search records" })).toBeTruthy();
    expect(screen.getByRole("checkbox", { name: /Include deleted records/ })).toBeTruthy();
    first.unmount();
    renderAs("viewer", <RecordsTable connectorId={7} lastSync={null} />, "/connectors/7?r_q=zz", "/connectors/:id");
    await screen.findByText('No record matches "zz".');
    expect(screen.getByRole("search", { name: "Search records" })).toBeTruthy();
  });

  it("show the mapped fields first in the table, and the user's pick still works", async () => {
    fakeFetch(() => ({ body: { count: 1, next: null, previous: null, results: MAPPED } }));
    renderAs("viewer", <RecordsTable connectorId={7} rules={RULES} />, "/connectors/7", "/connectors/:id");
    const table = await screen.findByRole("table", { name: "Records" });
    expect(headerNames(table)).toEqual(["External id", "city", "full_name", "geo.lat", "geo.lng", "Last written", "Raw"]);
    expect(screen.getByText("Columns (4 of 9)")).toBeTruthy();
    // the picker lists the mapped fields first too
    const picker = screen.getAllByRole("checkbox").map((box) => box.parentElement!.textContent);
    expect(picker.slice(0, 5)).toEqual(["city", "full_name", "geo.lat", "geo.lng", "id"]);
    fireEvent.click(screen.getByRole("checkbox", { name: "email" }));
    fireEvent.click(screen.getByRole("checkbox", { name: "geo.lng" }));
    expect(headerNames(screen.getByRole("table", { name: "Records" }))).toEqual(["External id", "city", "full_name", "geo.lat", "email", "Last written", "Raw"]);
    // kept when the table is sorted (a new page of records)
    fireEvent.click(within(screen.getByRole("table", { name: "Records" })).getByRole("button", { name: /^email/ }));
    await vi.waitFor(() =>
      expect(within(screen.getByRole("table", { name: "Records" })).getByRole("columnheader", { name: /^email/ }).getAttribute("aria-sort")).toBe("ascending"),
    );
    expect(headerNames(screen.getByRole("table", { name: "Records" }))).toEqual(["External id", "city", "full_name", "geo.lat", "email", "Last written", "Raw"]);
  });
});

describe("flattenRecord", () => {
  it("makes dotted keys of nested objects and keeps lists and empty objects as values", () => {
    expect(flattenRecord({ a: { b: { c: 1 } }, l: [1, { x: 2 }], e: {}, n: null })).toEqual({ "a.b.c": 1, l: [1, { x: 2 }], e: {}, n: null });
  });
});

/** The columns' names, without the sort arrow and the hidden "sort ..." text. */
function headerNames(table: HTMLElement): string[] {
  return within(table)
    .getAllByRole("columnheader")
    .map((th) => (th.querySelector("button")?.firstChild?.textContent ?? th.textContent ?? "").trim());
}

async function vi_wait(condition: () => boolean) {
  await vi.waitFor(() => {
    if (!condition()) throw new Error("not yet");
  });
}

describe("big integers in the records", () => {
  it("show exactly as the API sent them, decimals a double cannot hold too, in the cells and the raw JSON", async () => {
    fakeFetch(() => ({
      text:
        '{"count": 1, "next": null, "previous": null, "results": [{"id": 1, "external_id": "1", "data": {"big": 9007199254740993, "huge": 12345678901234567890123, "list": [9007199254740993], "p": 0.1000000000000000055511151231257827, "half": 12345678901234567.5, "far": 1e400, "nested": {"d": 1.00000000000000000001}, "pi": 3.14}, ' +
        '"checksum": "x", "first_synced_at": "2026-11-27T10:00:00Z", "last_synced_at": "2026-11-27T10:00:00Z", "last_sync_log": 1}]}',
    }));
    renderTable();
    const table = await screen.findByRole("table", { name: "Records" });
    expect(within(table).getByText("9007199254740993")).toBeTruthy();
    expect(within(table).getByText("12345678901234567890123")).toBeTruthy();
    expect(within(table).getByText("[9007199254740993]")).toBeTruthy();
    for (const column of ["far", "nested.d", "pi"]) {
      const box = screen.getByRole("checkbox", { name: column }) as HTMLInputElement;
      if (!box.checked) fireEvent.click(box);
    }
    for (const text of ["0.1000000000000000055511151231257827", "12345678901234567.5", "1e400", "1.00000000000000000001", "3.14"]) {
      expect(within(table).getByText(text)).toBeTruthy();
    }
    fireEvent.click(within(table).getByRole("button", { name: /^JSON/ }));
    const raw = screen.getByTestId("raw-json").textContent;
    expect(raw).toContain('"huge": 12345678901234567890123');
    expect(raw).toContain('"p": 0.1000000000000000055511151231257827,');
    expect(raw).toContain('"far": 1e400,');
    expect(raw).toContain('"d": 1.00000000000000000001');
  });
});

describe("deleted records in the table", () => {
  it("are listed, marked deleted, when \"Include deleted records\" is ticked, which the downloads follow too", async () => {
    const gone = { ...record(3, { id: 3, name: "Gone" }), deleted_at: "2026-11-28T10:00:00Z" };
    const calls = fakeFetch((call) =>
      new URL(call.url, "http://x").searchParams.get("include_deleted") === "true"
        ? { body: { count: 3, next: null, previous: null, results: [...ROWS, gone] } }
        : { body: { count: 2, next: null, previous: null, results: ROWS } },
    );
    renderTable();
    await screen.findByRole("table", { name: "Records" });
    expect(screen.queryByText("Gone")).toBeNull();
    fireEvent.click(screen.getByRole("checkbox", { name: "Include deleted records" }));
    const table = await screen.findByText("Gone");
    const row = table.closest("tr")!;
    expect(row.classList.contains("record-deleted")).toBe(true);
    expect(within(row).getByText("DELETED")).toBeTruthy();
    expect(within(screen.getByRole("table", { name: "Records" })).getAllByText("DELETED")).toHaveLength(1);
    const listed = calls.filter((call) => call.url.includes("/records/"));
    expect(new URL(listed.at(-1)!.url, "http://x").searchParams.get("include_deleted")).toBe("true");
    fireEvent.click(screen.getByRole("button", { name: "Download NDJSON" }));
    await vi.waitFor(() => expect(calls.some((call) => call.url.includes("/export/"))).toBe(true));
    const exported = calls.find((call) => call.url.includes("/export/"))!;
    expect(new URL(exported.url, "http://x").searchParams.get("include_deleted")).toBe("true");
  });
});
