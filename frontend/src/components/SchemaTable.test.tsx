import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { ConnectorSchema, SchemaProfile } from "../api/types";
import { formatDateTime } from "../format";
import { emptyPage, fakeFetch, renderAs } from "../test/helpers";
import { ConnectorDataTabs } from "./ConnectorDataTabs";
import { inferredWhen, SchemaTable } from "./SchemaTable";

const SCHEMA: ConnectorSchema = {
  connector: 7,
  fields: [
    { path: "id", parts: ["id"], types: ["integer"], formats: [], column: true, position: 1 },
    { path: "address.city", parts: ["address", "city"], types: ["string", "null"], formats: [], column: true, position: 2 },
    { path: "created", parts: ["created"], types: ["string"], formats: ["timestamp"], column: true, position: 3 },
    { path: "tags", parts: ["tags"], types: ["array"], formats: [], column: false, position: 5 },
  ],
  truncated: true,
  updated_at: "2026-11-27T10:00:00Z",
};

function api(schema: ConnectorSchema = SCHEMA) {
  return fakeFetch((call) => ({ body: call.url.includes("/schema/") ? schema : emptyPage }));
}

const PROFILE: SchemaProfile = {
  connector: 7,
  sample: 10000,
  sampled: 10000,
  total: 25000,
  distinct_cap: 1000,
  truncated: true,
  schema_updated_at: "2026-11-27T10:00:00Z",
  fields: [
    { path: "id", parts: ["id"], present: 10000, present_share: 1, null: 0, null_share: 0, empty: null, empty_share: null, distinct: 1000, distinct_over_cap: true },
    { path: "address.city", parts: ["address", "city"], present: 7500, present_share: 0.75, null: 2500, null_share: 0.25, empty: 100, empty_share: 0.01, distinct: 42, distinct_over_cap: false },
    { path: "created", parts: ["created"], present: 10000, present_share: 1, null: 0, null_share: 0, empty: 0, empty_share: 0, distinct: 1000, distinct_over_cap: true },
  ],
};

/** The schema, and `profileAnswer` (a status and body) to the profile. */
function profiledApi(profileAnswer: { status?: number; body?: unknown } = { body: PROFILE }) {
  return fakeFetch((call) => {
    if (call.url.includes("/schema/profile/")) return profileAnswer;
    return { body: call.url.includes("/schema/") ? SCHEMA : emptyPage };
  });
}

function cellsOf(table: HTMLElement): (string | null)[][] {
  return within(table)
    .getAllByRole("row")
    .slice(1)
    .map((row) => within(row).getAllByRole("cell").map((cell) => cell.textContent));
}

describe("the connector's schema tab", () => {
  it("lists the inferred fields with their types, a string's kind named once (a zip code: string (digits)), its CSV column, and the truncated note", async () => {
    const zipcode = { path: "address.zipcode", parts: ["address", "zipcode"], types: ["string"], formats: ["integer", "decimal"], column: true, position: 4 };
    const calls = api({ ...SCHEMA, fields: [...SCHEMA.fields.slice(0, 3), zipcode, ...SCHEMA.fields.slice(3)] });
    renderAs("viewer", <ConnectorDataTabs connectorId={7} />, "/connectors/7", "/connectors/:id");
    const tab = screen.getByRole("tab", { name: "Schema" });
    expect(tab.getAttribute("aria-selected")).toBe("false");
    fireEvent.click(tab);
    const table = await screen.findByRole("table", { name: "Inferred fields" });
    const rows = within(table)
      .getAllByRole("row")
      .slice(1)
      .map((row) => within(row).getAllByRole("cell").map((cell) => cell.textContent));
    expect(rows).toEqual([
      ["id", "integer", "yes"],
      ["address.city", "string, null", "yes"],
      ["created", "string (date-time)", "yes"],
      ["address.zipcode", "string (digits)", "yes"],
      ["tags", "array", "no"],
    ]);
    // each kind of string the table names is explained once, under it
    const legend = screen.getByTestId("string-kinds");
    expect(within(legend).getAllByRole("term").map((term) => term.textContent)).toEqual(["string (date-time)", "string (digits)"]);
    expect(legend.textContent).toContain("such as a zip code or an id: it stays text everywhere, so leading zeros are kept.");
    expect(table.textContent).not.toContain("decimal");
    expect(screen.getByTestId("schema-truncated").textContent).toContain("at most 1000 fields");
    expect(screen.getByTestId("schema-updated").textContent).toContain("last changed");
    expect(screen.getByRole("tab", { name: "Schema" }).getAttribute("aria-selected")).toBe("true");
    expect(calls.some((c) => c.url === "/api/demo-extension/connectors/7/schema/")).toBe(true);
  });

  it("lets the keyboard scroll the fields sideways while the table is wider than its box: the scrolling box takes the focus", async () => {
    // jsdom lays nothing out: the box is made narrower than the table
    const saved = Object.getOwnPropertyDescriptor(HTMLElement.prototype, "scrollWidth");
    Object.defineProperty(HTMLElement.prototype, "scrollWidth", {
      configurable: true,
      get(this: HTMLElement) {
        return this.classList.contains("table-wrap") ? 900 : 0;
      },
    });
    try {
      api();
      renderAs("viewer", <ConnectorDataTabs connectorId={7} />, "/connectors/7?tab=schema", "/connectors/:id");
      const table = await screen.findByRole("table", { name: "Inferred fields" });
      const region = await screen.findByRole("region", { name: "Inferred fields, scrolling sideways" });
      expect(region.contains(table)).toBe(true);
      expect(region.tabIndex).toBe(0);
    } finally {
      if (saved) Object.defineProperty(HTMLElement.prototype, "scrollWidth", saved);
      else delete (HTMLElement.prototype as unknown as Record<string, unknown>).scrollWidth;
    }
  });

  it("is a card per field on a phone: the path its title, every other value under its column's name, no sideways scrolling", async () => {
    profiledApi();
    renderAs("viewer", <ConnectorDataTabs connectorId={7} />, "/connectors/7?tab=schema", "/connectors/:id");
    const table = await screen.findByRole("table", { name: "Inferred fields" });
    fireEvent.click(screen.getByRole("button", { name: "Profile fields" }));
    await screen.findByRole("columnheader", { name: "Present" });
    expect(table.classList.contains("table-stack")).toBe(true); // styles.css stacks it under 640 px
    const headers = within(table).getAllByRole("columnheader").map((th) => th.textContent);
    const rows = within(table).getAllByRole("row").slice(1);
    for (const row of rows.slice(0, 3)) {
      const cells = within(row).getAllByRole("cell");
      expect(cells[0]!.classList.contains("stack-title")).toBe(true);
      expect(cells.map((cell) => cell.getAttribute("data-label"))).toEqual([null, ...headers.slice(1)]);
    }
    expect(within(rows[3]!).getByText("not profiled").getAttribute("data-label")).toBe("Profile");
    // a table that fits is a plain box: no region named for scrolling it sideways
    expect(screen.queryByRole("region", { name: /scrolling sideways/ })).toBeNull();
  });

  it("lists the fields in the order the records first showed them, each object's fields after it, not in path order", async () => {
    const field = (path: string, position: number, types = ["string"]) => ({ path, parts: path.split("."), types, formats: [], column: types[0] !== "object", position });
    // the API's list is in path order (the CSV's columns); the positions are the upstream's order
    api({ ...SCHEMA, truncated: false, fields: [field("active", 5, ["boolean"]), field("address", 3, ["object"]), field("address.zip", 4), field("id", 1, ["integer"]), field("name", 2)] });
    renderAs("viewer", <ConnectorDataTabs connectorId={7} />, "/connectors/7?tab=schema", "/connectors/:id");
    const table = await screen.findByRole("table", { name: "Inferred fields" });
    expect(cellsOf(table).map((cells) => cells[0])).toEqual(["id", "name", "address", "address.zip", "active"]);
  });

  it("says when a sync last checked the schema apart from when it last changed: a sync that learnt nothing still checked it", async () => {
    api({ ...SCHEMA, updated_at: "2026-11-27T10:00:00Z", checked_at: "2026-12-05T08:30:00Z" });
    renderAs("viewer", <ConnectorDataTabs connectorId={7} />, "/connectors/7?tab=schema", "/connectors/:id");
    const said = await screen.findByTestId("schema-updated");
    expect(said.textContent).toBe(
      `Inferred from the stored records; last checked ${formatDateTime("2026-12-05T08:30:00Z")} (no change since), last changed ${formatDateTime("2026-11-27T10:00:00Z")}.`,
    );
    expect(said.textContent).toContain("05 Dec 2026");
  });

  it("says checked and changed once when the latest sync changed the schema, and only changed for a server without checked_at", () => {
    const at = "2026-11-27T10:00:00Z";
    expect(inferredWhen({ updated_at: at, checked_at: at })).toBe(`Inferred from the stored records; last checked and changed ${formatDateTime(at)}.`);
    expect(inferredWhen({ updated_at: at })).toBe(`Inferred from the stored records; last changed ${formatDateTime(at)}.`);
  });

  it("opens on the schema from the address and says when nothing was inferred yet", async () => {
    api({ connector: 7, fields: [], truncated: false, updated_at: null });
    renderAs("viewer", <ConnectorDataTabs connectorId={7} />, "/connectors/7?tab=schema", "/connectors/:id");
    expect(await screen.findByText("Not inferred yet: sync the connector.")).toBeTruthy();
    expect(screen.queryByTestId("schema-truncated")).toBeNull();
    expect(screen.queryByRole("table", { name: "Records" })).toBeNull();
  });

  it("profiles the fields on demand: presence, null and empty shares and distinct values beside each field", async () => {
    const calls = profiledApi();
    renderAs("viewer", <ConnectorDataTabs connectorId={7} />, "/connectors/7?tab=schema", "/connectors/:id");
    const table = await screen.findByRole("table", { name: "Inferred fields" });
    expect(within(table).queryByRole("columnheader", { name: "Present" })).toBeNull();
    expect(calls.some((c) => c.url.includes("/schema/profile/"))).toBe(false); // not before it is asked for

    fireEvent.click(screen.getByRole("button", { name: "Profile fields" }));
    expect(await screen.findByRole("columnheader", { name: "Present" })).toBeTruthy();
    expect(within(table).getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["Field", "Types", "CSV column", "Present", "Null", "Empty", "Distinct"]);
    expect(cellsOf(table)).toEqual([
      ["id", "integer", "yes", "100.0 %", "0.0 %", "—", "> 1,000"],
      ["address.city", "string, null", "yes", "75.0 %", "25.0 %", "1.0 %", "42"],
      ["created", "string (date-time)", "yes", "100.0 %", "0.0 %", "0.0 %", "> 1,000"],
      ["tags", "array", "no", "not profiled"],
    ]);
    expect(screen.getByTestId("schema-profile-summary").textContent).toBe("Presence and nulls in the 10,000 most recently changed of 25,000 records.");
    const city = within(table).getAllByRole("row")[2]!;
    expect(within(city).getByTitle("Present in 7,500 of 10,000 sampled records")).toBeTruthy();
    expect(calls.filter((c) => c.url === "/api/demo-extension/connectors/7/schema/profile/")).toHaveLength(1);
    expect(screen.getByRole("button", { name: "Profile again" })).toBeTruthy();
  });

  it("shows the profile loading, then its error without losing the fields", async () => {
    profiledApi({ status: 500, body: { detail: "The server failed." } });
    renderAs("viewer", <ConnectorDataTabs connectorId={7} />, "/connectors/7?tab=schema", "/connectors/:id");
    const table = await screen.findByRole("table", { name: "Inferred fields" });
    fireEvent.click(screen.getByRole("button", { name: "Profile fields" }));
    expect(screen.getByRole("status").textContent).toContain("Profiling the records…");
    expect(screen.getByRole("button", { name: "Profile fields" }).hasAttribute("disabled")).toBe(true);
    expect((await screen.findByRole("alert")).textContent).toContain("The profile could not be loaded");
    expect(screen.queryByRole("status")).toBeNull();
    expect(screen.getByRole("button", { name: "Profile fields" }).hasAttribute("disabled")).toBe(false);
    expect(cellsOf(table)).toHaveLength(4);
    expect(within(table).queryByRole("columnheader", { name: "Present" })).toBeNull();
  });

  it("forgets the profile after a sync: it is stale, and is asked for again", async () => {
    profiledApi();
    const view = render(<SchemaTable connectorId={7} refreshKey={0} />);
    fireEvent.click(await screen.findByRole("button", { name: "Profile fields" }));
    expect(await screen.findByRole("columnheader", { name: "Present" })).toBeTruthy();
    view.rerender(<SchemaTable connectorId={7} refreshKey={1} />);
    expect(await screen.findByRole("button", { name: "Profile fields" })).toBeTruthy();
    expect(screen.queryByRole("columnheader", { name: "Present" })).toBeNull();
  });
});
