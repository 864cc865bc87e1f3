import { fireEvent, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { ConnectorSchema } from "../api/types";
import { emptyPage, fakeFetch, renderAs } from "../test/helpers";
import { ConnectorDataTabs } from "./ConnectorDataTabs";

const SCHEMA: ConnectorSchema = {
  connector: 7,
  fields: [
    { path: "id", parts: ["id"], types: ["integer"], formats: [], column: true },
    { path: "address.city", parts: ["address", "city"], types: ["string", "null"], formats: [], column: true },
    { path: "created", parts: ["created"], types: ["string"], formats: ["timestamp"], column: true },
    { path: "tags", parts: ["tags"], types: ["array"], formats: [], column: false },
  ],
  truncated: true,
  updated_at: "2026-11-27T10:00:00Z",
};

function api(schema: ConnectorSchema = SCHEMA) {
  return fakeFetch((call) => ({ body: call.url.includes("/schema/") ? schema : emptyPage }));
}

describe("the connector's schema tab", () => {
  it("lists the inferred fields with their types, formats and CSV column, and the truncated note", async () => {
    const calls = api();
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
      ["id", "integer", "—", "yes"],
      ["address.city", "string, null", "—", "yes"],
      ["created", "string", "timestamp", "yes"],
      ["tags", "array", "—", "no"],
    ]);
    expect(screen.getByTestId("schema-truncated").textContent).toContain("at most 1000 fields");
    expect(screen.getByTestId("schema-updated").textContent).toContain("last updated");
    expect(screen.getByRole("tab", { name: "Schema" }).getAttribute("aria-selected")).toBe("true");
    expect(calls.some((c) => c.url === "/api/demo-extension/connectors/7/schema/")).toBe(true);
  });

  it("lets the keyboard scroll the fields sideways on a narrow window: the scrolling box takes the focus", async () => {
    api();
    renderAs("viewer", <ConnectorDataTabs connectorId={7} />, "/connectors/7?tab=schema", "/connectors/:id");
    const table = await screen.findByRole("table", { name: "Inferred fields" });
    const region = screen.getByRole("region", { name: "Inferred fields, scrolling sideways" });
    expect(region.contains(table)).toBe(true);
    expect(region.tabIndex).toBe(0);
  });

  it("opens on the schema from the address and says when nothing was inferred yet", async () => {
    api({ connector: 7, fields: [], truncated: false, updated_at: null });
    renderAs("viewer", <ConnectorDataTabs connectorId={7} />, "/connectors/7?tab=schema", "/connectors/:id");
    expect(await screen.findByText("Not inferred yet: sync the connector.")).toBeTruthy();
    expect(screen.queryByTestId("schema-truncated")).toBeNull();
    expect(screen.queryByRole("table", { name: "Records" })).toBeNull();
  });
});
