import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { parseJsonExact } from "../api/exactJson";
import type { JsonValue, PreviewRecord } from "../api/types";
import { PREVIEW_RECORDS_SHOWN, PreviewRecordsTable } from "./PreviewPanel";

const records = (n: number): PreviewRecord[] =>
  Array.from({ length: n }, (_, i) => ({ raw: { id: i + 1, name: `User ${i + 1}` }, transformed: { id: i + 1, full_name: `User ${i + 1}` }, error: null }));

const rows = () => within(screen.getByRole("region", { name: "Sample" })).getAllByRole("row").slice(1);

describe("the preview's records", () => {
  it("show the first three of twenty, the rest on request and back, so the page stays short", () => {
    render(<PreviewRecordsTable records={records(20)} label="Sample" />);
    expect(PREVIEW_RECORDS_SHOWN).toBe(3);
    expect(rows()).toHaveLength(3);
    const more = screen.getByRole("button", { name: "Show all 20 records (17 more)" });
    expect(more.getAttribute("aria-expanded")).toBe("false");
    expect(document.getElementById(more.getAttribute("aria-controls")!)?.tagName).toBe("TBODY");
    fireEvent.click(more);
    expect(rows()).toHaveLength(20);
    expect(more.getAttribute("aria-expanded")).toBe("true");
    expect(more.textContent).toBe("Show the first 3 records only");
    expect(within(rows()[19]!).getAllByRole("cell")[0]!.textContent).toBe("20");
    fireEvent.click(more);
    expect(rows()).toHaveLength(3);
  });

  it("are a table in the app's one table style (its headers as every other table's)", () => {
    render(<PreviewRecordsTable records={records(2)} label="Sample" />);
    expect(within(screen.getByRole("region", { name: "Sample" })).getByRole("table").classList.contains("table")).toBe(true);
  });

  it("offer no button when every record is shown already", () => {
    render(<PreviewRecordsTable records={records(3)} label="Sample" />);
    expect(rows()).toHaveLength(3);
    expect(screen.queryByRole("button", { name: /^Show all/ })).toBeNull();
  });
});

describe("numbers in the preview's records", () => {
  it("show as the API sent them: big integers and decimals a double cannot hold, a changed one marked", () => {
    const raw = parseJsonExact('{"id": 9007199254740993, "p": 0.1000000000000000055511151231257827, "far": 1e400, "pi": 3.14}') as JsonValue;
    const transformed = parseJsonExact('{"id": 9007199254740993, "p": 0.1000000000000000055511151231257828, "far": 1e400, "pi": 3.14}') as JsonValue;
    render(<PreviewRecordsTable records={[{ raw, transformed, error: null }]} label="Sample" compare />);
    const region = screen.getByRole("region", { name: "Sample" });
    expect(within(region).getAllByText("9007199254740993").length).toBeGreaterThan(0);
    expect(within(region).getByText("0.1000000000000000055511151231257827")).toBeTruthy();
    expect(within(region).getByText("0.1000000000000000055511151231257828").closest("div")?.className).toBe("entry-changed");
    expect(within(region).getAllByText("1e400").length).toBeGreaterThan(0);
    expect(within(region).getAllByText("3.14").length).toBeGreaterThan(0);
    expect(region.querySelector("pre")?.textContent).toContain('"p": 0.1000000000000000055511151231257827,');
  });
});
